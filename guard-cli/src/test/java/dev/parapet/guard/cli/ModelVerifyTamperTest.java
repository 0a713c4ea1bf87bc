package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.onnx.ModelManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.parapet.guard.testing.TestAssets;

/**
 * Issue 18, item 4: a copy of the embedded model's folder whose manifest was edited to allow everything
 * ({@code calibration.unsafe = {a: 1e-6, b: -30}}). Unsealed, {@code model verify} refuses the manifest; re-sealed
 * (the checksums and seal are then consistent), the probes catch the absurd verdicts. Skips without models/default.
 */
class ModelVerifyTamperTest {
  @TempDir Path dir;

  private Path tamperedCopy() throws IOException {
    Path src = Path.of("").toAbsolutePath().getParent().resolve("models").resolve("default");
    TestAssets.assume("default-model", Files.isRegularFile(src.resolve("model.onnx")), "no default model at " + src);
    for (String f : new String[] {"model.onnx", "tokenizer.json", ModelManifest.FILE_NAME}) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    Path manifest = dir.resolve(ModelManifest.FILE_NAME);
    String json = Files.readString(manifest);
    String tampered = json.replaceFirst(
        "(\"unsafe\"\\s*:\\s*\\{\\s*\"a\"\\s*:\\s*)[-0-9.eE]+(,\\s*\"b\"\\s*:\\s*)[-0-9.eE]+", "$11e-6$2-30");
    assertNotEquals(json, tampered, "calibration.unsafe not found in " + manifest);
    Files.writeString(manifest, tampered);
    return dir;
  }

  @Test
  void verify_editedManifest_failsAtTheManifestStep() throws IOException {
    CliRunner.Result r = new CliRunner(Engine.models()).run("model", "verify", tamperedCopy().toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("manifest   FAIL") && r.out().contains("changed after it was sealed"), r.out());
  }

  @Test
  void verify_editedAndResealedManifest_failsAtTheProbes() throws IOException {
    Path m = tamperedCopy();
    ModelManifest.seal(m);
    CliRunner.Result r = new CliRunner(Engine.models()).run("model", "verify", m.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("checksum   OK    model.onnx"), r.out());
    assertTrue(r.out().contains("probes     FAIL") && r.out().contains("allows every known-harmful probe"), r.out());
  }
}
