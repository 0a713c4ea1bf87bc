package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCommandTest {
  @TempDir Path dir;

  private Path exportedFolder() throws Exception {
    Path m = dir.resolve("my-model");
    Files.createDirectories(m);
    Files.write(m.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 5});
    Files.writeString(m.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
    return m;
  }

  @Test
  void init_thenVerify_passesEveryStep() throws Exception {
    Path m = exportedFolder();
    CliRunner runner = CliRunner.fake();
    CliRunner.Result r = runner.run("model", "init", m.toString(), "--family", "llama-guard-3", "--set",
        "taxonomy=llama-guard-3-1b");
    assertEquals(0, r.exit(), r.toString());
    String manifest = Files.readString(m.resolve("parapet-model.json"));
    assertTrue(manifest.contains("\"family\":\"llama-guard-3\"") || manifest.contains("\"family\" : \"llama-guard-3\""),
        manifest);
    assertTrue(manifest.contains("llama-guard-3-1b"), manifest);
    assertTrue(r.out().contains("model.onnx"), r.out());

    r = runner.run("model", "verify", m.toString());
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("checksum   OK    model.onnx"), r.out());
    assertTrue(r.out().contains("contract   OK    prompt check"), r.out());
    assertTrue(r.out().contains("contract   OK    response check"), r.out());
    assertEquals(new EngineOptions.Folder(m), runner.seen.get(0).model());
  }

  @Test
  void verify_corruptedFile_exit1NamingFileAndFix() throws Exception {
    Path m = exportedFolder();
    CliRunner runner = CliRunner.fake();
    assertEquals(0, runner.run("model", "init", m.toString(), "--family", "llama-guard-3").exit());
    Files.write(m.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 6});
    CliRunner.Result r = runner.run("model", "verify", m.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("checksum   FAIL"), r.out());
    assertTrue(r.out().contains("sha256 mismatch"), r.out());
    assertTrue(runner.seen.isEmpty(), "a model that fails its checksums is not loaded");
  }

  @Test
  void verify_missingManifestOrFolder_failsWithFix() throws Exception {
    Path m = exportedFolder();
    CliRunner.Result r = CliRunner.fake().run("model", "verify", m.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("manifest   FAIL") && r.out().contains("init"), r.out());
    r = CliRunner.fake().run("model", "verify", dir.resolve("nope").toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("not a directory"), r.err());
    r = CliRunner.fake().run("model");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("missing subcommand"), r.err());
  }
}
