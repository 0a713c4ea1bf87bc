package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.onnx.ModelManifest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest tool's exit statuses (moved here from guard-onnx with the tool). */
class ManifestToolTest {
  @TempDir Path dir;

  private void writeModelFiles() throws Exception {
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 5});
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":{}}");
    Files.writeString(dir.resolve("config.json"), "{\"num_hidden_layers\":2}");
    Files.writeString(dir.resolve(".hidden"), "ignored");
  }

  /** The manifest as written (read raw, so this test does not depend on ModelManifest's accessors). */
  private JsonNode manifestJson() throws Exception {
    return new ObjectMapper().readTree(dir.resolve(ModelManifest.FILE_NAME).toFile());
  }

  @Test
  void manifestTool_initThenVerify_succeedsAndDetectsCorruption() throws Exception {
    writeModelFiles();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(0, ManifestTool.run(new String[] {"init", dir.toString(), "--family", "llama-guard-3",
        "--set", "taxonomy=llama-guard-3-8b"}, o, e));
    assertEquals("llama-guard-3-8b", manifestJson().get("taxonomy").asText());
    assertEquals(0, ManifestTool.run(new String[] {"verify", dir.toString()}, o, e));
    Files.writeString(dir.resolve("config.json"), "{\"num_hidden_layers\":3}");
    assertEquals(1, ManifestTool.run(new String[] {"verify", dir.toString()}, o, e));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("config.json: sha256 mismatch"));
    assertEquals(2, ManifestTool.run(new String[] {"init", dir.toString()}, o, e));
    assertFalse(out.toString(StandardCharsets.UTF_8).isEmpty());
  }

  @Test
  void manifestTool_sealUnsealedManifest_exit0AndTheManifestVerifies() throws Exception {
    writeModelFiles();
    ModelManifest original = ModelManifest.create(dir, "llama-guard-3", Map.of("threshold", 0.5));
    Path file = dir.resolve(ModelManifest.FILE_NAME);
    Files.writeString(file, Files.readString(file).replaceAll(",\\s*\"manifestSha256\"\\s*:\\s*\"[0-9a-f]+\"", "")
        .replace("0.5", "0.99"));
    assertFalse(ModelManifest.read(dir).sealed());

    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, ManifestTool.run(new String[] {"seal", dir.toString()}, new PrintStream(o), new PrintStream(err)),
        err.toString());
    ModelManifest resealed = ModelManifest.read(dir);
    resealed.verify(dir);
    assertEquals(0.99, manifestJson().get("threshold").asDouble());
    assertFalse(original.contentSha256().equals(resealed.contentSha256()), "the edit must change the content hash");
  }
}
