package dev.parapet.guard.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ModelLoadException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelManifestTest {
  @TempDir Path dir;

  private void writeModelFiles() throws Exception {
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 5});
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":{}}");
    Files.writeString(dir.resolve("config.json"), "{\"num_hidden_layers\":2}");
    Files.writeString(dir.resolve(".hidden"), "ignored");
  }

  @Test
  void create_thenRead_roundTripsFamilyFilesAndExtraKeys() throws Exception {
    writeModelFiles();
    ModelManifest written = ModelManifest.create(dir, "llama-guard-3", Map.of("taxonomy", "llama-guard-3-1b"));
    ModelManifest read = ModelManifest.read(dir);
    assertEquals("llama-guard-3", read.family());
    assertEquals(1, read.formatVersion());
    assertEquals(written.files(), read.files());
    assertEquals(Map.of("config.json", 0, "model.onnx", 0, "tokenizer.json", 0).keySet(), read.files().keySet());
    assertEquals(5, read.files().get("model.onnx").bytes());
    // sha256 of bytes 01..05
    assertEquals("74f81fe167d99b4cb41d6d0ccda82278caee9f3e2f25d5e5a3936ff3dcec60d0",
        read.files().get("model.onnx").sha256());
    assertEquals("llama-guard-3-1b", read.json().get("taxonomy").asText());
    read.verify(dir);
  }

  @Test
  void verify_corruptedFile_namesFileExpectedAndActual() throws Exception {
    writeModelFiles();
    ModelManifest m = ModelManifest.create(dir, "llama-guard-3", Map.of());
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3, 4, 6});
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> m.verify(dir));
    assertTrue(e.getMessage().contains("model.onnx: sha256 mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains("expected " + m.files().get("model.onnx").sha256()), e.getMessage());
    assertTrue(e.getMessage().contains("actual " + ModelManifest.sha256Hex(new byte[] {1, 2, 3, 4, 6})),
        e.getMessage());
    assertTrue(e.getMessage().contains("re-export"), e.getMessage());
  }

  @Test
  void verify_truncatedFile_reportsSizeMismatch() throws Exception {
    writeModelFiles();
    ModelManifest m = ModelManifest.create(dir, "llama-guard-3", Map.of());
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2});
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> m.verify(dir));
    assertTrue(e.getMessage().contains("size mismatch, expected 5 bytes, actual 2 bytes"), e.getMessage());
  }

  @Test
  void verify_missingFile_namesFile() throws Exception {
    writeModelFiles();
    ModelManifest m = ModelManifest.create(dir, "llama-guard-3", Map.of());
    Files.delete(dir.resolve("tokenizer.json"));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> m.verify(dir));
    assertTrue(e.getMessage().contains("tokenizer.json: missing"), e.getMessage());
  }

  @Test
  void read_missingManifest_saysHowToCreateIt() {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelManifest.read(dir));
    assertTrue(e.getMessage().contains("manifest not found"), e.getMessage());
    assertTrue(e.getMessage().contains("ManifestTool init"), e.getMessage());
  }

  @Test
  void read_malformedJson_reportsLineAndColumn() {
    String bad = "{\n  \"formatVersion\": 1,\n  \"family\": \"x\"\n  \"files\": {}\n}";
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ModelManifest.read(new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8)), "m.json"));
    assertTrue(e.getMessage().startsWith("m.json: malformed JSON at line 4, column"), e.getMessage());
  }

  @Test
  void read_unknownFormatVersion_isRejected() {
    String json = "{\"formatVersion\": 7, \"family\": \"x\", \"files\": {}}";
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ModelManifest.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "m.json"));
    assertTrue(e.getMessage().contains("unknown formatVersion 7"), e.getMessage());
  }

  @Test
  void read_pathTraversalInFileName_isRejected() {
    String json = "{\"formatVersion\": 1, \"family\": \"x\", \"files\": {\"../etc/passwd\": "
        + "{\"sha256\": \"" + "0".repeat(64) + "\", \"bytes\": 1}}}";
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ModelManifest.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "m.json"));
    assertTrue(e.getMessage().contains("plain name"), e.getMessage());
  }

  @Test
  void verifyBytes_mismatch_throwsAndMatchPasses() {
    byte[] data = {9, 8, 7};
    ModelManifest.FileEntry ok = new ModelManifest.FileEntry(ModelManifest.sha256Hex(data), 3);
    ModelManifest.verifyBytes("head.bin", data, ok);
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ModelManifest.verifyBytes("head.bin", new byte[] {9, 8, 6}, ok));
    assertTrue(e.getMessage().startsWith("head.bin: sha256 mismatch"), e.getMessage());
  }

  @Test
  void create_reservedExtraKey_isRejected() throws Exception {
    writeModelFiles();
    assertThrows(IllegalArgumentException.class, () -> ModelManifest.create(dir, "x", Map.of("files", "y")));
  }

  @Test
  void create_sealsTheManifestsOwnContent() throws Exception {
    writeModelFiles();
    ModelManifest m = ModelManifest.create(dir, "llama-guard-3", Map.of("calibration", Map.of("a", 0.5)));
    assertTrue(m.sealed());
    assertEquals(m.contentSha256(), ModelManifest.read(dir).json().get(ModelManifest.SEAL_KEY).asText());
    // formatting and key order do not matter, content does
    String reformatted = Files.readString(dir.resolve(ModelManifest.FILE_NAME)).replace("\n", "").replace("  ", "");
    assertEquals(m.contentSha256(), ModelManifest.read(new ByteArrayInputStream(
        reformatted.getBytes(StandardCharsets.UTF_8)), "x").contentSha256());
  }

  @Test
  void read_editedAfterSealing_isRejectedNamingTheFix() throws Exception {
    writeModelFiles();
    ModelManifest.create(dir, "llama-guard-3", Map.of("calibration", Map.of("unsafe", Map.of("a", 0.57, "b", 0.0))));
    Path file = dir.resolve(ModelManifest.FILE_NAME);
    Files.writeString(file, Files.readString(file).replace("0.57", "1.0E-6"));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelManifest.read(dir));
    assertTrue(e.getMessage().contains("changed after it was sealed") && e.getMessage().contains("ManifestTool seal"),
        e.getMessage());
  }

  @Test
  void verify_unsealedManifest_isRejected_sealAddsASealThatChangesWithContent() throws Exception {
    writeModelFiles();
    ModelManifest original = ModelManifest.create(dir, "llama-guard-3", Map.of("threshold", 0.5));
    Path file = dir.resolve(ModelManifest.FILE_NAME);
    String unsealed = Files.readString(file).replaceAll(",\\s*\"manifestSha256\"\\s*:\\s*\"[0-9a-f]+\"", "")
        .replace("0.5", "0.99");
    Files.writeString(file, unsealed);
    ModelManifest read = ModelManifest.read(dir);
    assertFalse(read.sealed(), unsealed);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> read.verify(dir));
    assertTrue(e.getMessage().contains("not sealed"), e.getMessage());

    // (the command line's exit status for this is checked in guard-cli's ManifestToolTest)
    ModelManifest.seal(dir);
    ModelManifest resealed = ModelManifest.read(dir);
    resealed.verify(dir);
    assertEquals(0.99, resealed.json().get("threshold").asDouble());
    assertFalse(original.contentSha256().equals(resealed.contentSha256()), "the edit must change the content hash");
  }

  @Test
  void seal_corruptFile_isRefusedBeforeWriting() throws Exception {
    writeModelFiles();
    ModelManifest.create(dir, "llama-guard-3", Map.of());
    Files.write(dir.resolve("model.onnx"), new byte[] {9, 9, 9, 9, 9});
    String before = Files.readString(dir.resolve(ModelManifest.FILE_NAME));
    assertThrows(ModelLoadException.class, () -> ModelManifest.seal(dir));
    assertEquals(before, Files.readString(dir.resolve(ModelManifest.FILE_NAME)));
  }

  @Test
  void typedAccessors_readTheFamilyKeys_andExtrasRoundTrip() throws Exception {
    writeModelFiles();
    Map<String, Object> extra = Map.of("model", "model.onnx", "taxonomy", "llama-guard-3", "name", "tiny",
        "labels", java.util.List.of("unsafe", "S1"), "maxTokens", 16, "promptTokensInResponse", 6,
        "calibration", Map.of("unsafe", Map.of("a", 0.5, "b", -1.0)),
        "customCategory", Map.of("c0", 0.25, "tau", 2.0), "categoryProbabilities", "joint");
    ModelManifest.create(dir, "parapet-encoder", extra);
    ModelManifest m = ModelManifest.read(dir);
    assertEquals("model.onnx", m.modelFile());
    assertEquals(java.util.Optional.of("llama-guard-3"), m.taxonomy());
    assertEquals(java.util.Optional.of("tiny"), m.name());
    assertEquals(java.util.List.of("unsafe", "S1"), m.labels().orElseThrow());
    assertEquals(16, m.maxTokens().orElseThrow());
    assertEquals(6, m.promptTokensInResponse().orElseThrow());
    ModelManifest.Calibration c = m.calibration("unsafe").orElseThrow();
    assertEquals(0.5, c.a());
    assertEquals(-1.0, c.b());
    assertTrue(m.calibration("S1").isEmpty());
    assertEquals(0.25, m.customCategory().orElseThrow().c0());
    assertEquals(2.0, m.customCategory().orElseThrow().tau());
    assertEquals(java.util.Optional.of("joint"), m.categoryProbabilities());
    assertEquals(extra, m.extras());
    // the extras re-create the same content
    ModelManifest again = ModelManifest.create(dir, "parapet-encoder", m.extras());
    assertEquals(m.contentSha256(), again.contentSha256());
  }

  @Test
  void typedAccessors_absentKeys_defaultsOrEmpty() throws Exception {
    writeModelFiles();
    ModelManifest m = ModelManifest.create(dir, "llama-guard-3", Map.of());
    assertEquals("model.onnx", m.modelFile());
    assertTrue(m.taxonomy().isEmpty() && m.name().isEmpty() && m.labels().isEmpty());
    assertTrue(m.maxTokens().isEmpty() && m.customCategory().isEmpty() && m.categoryProbabilities().isEmpty());
    assertTrue(m.extras().isEmpty());
  }

  @Test
  void typedAccessors_wrongTypes_nameTheKey() throws Exception {
    writeModelFiles();
    ModelManifest m = ModelManifest.create(dir, "llama-guard-3", Map.of("maxTokens", "sixteen", "model", 7));
    ModelLoadException e = assertThrows(ModelLoadException.class, m::maxTokens);
    assertTrue(e.getMessage().contains("\"maxTokens\" must be an integer"), e.getMessage());
    ModelLoadException f = assertThrows(ModelLoadException.class, m::modelFile);
    assertTrue(f.getMessage().contains("\"model\""), f.getMessage());
    ModelManifest escape = ModelManifest.create(dir, "llama-guard-3", Map.of("model", "../elsewhere.onnx"));
    ModelLoadException g = assertThrows(ModelLoadException.class, escape::modelFile);
    assertTrue(g.getMessage().contains("plain name"), g.getMessage());
  }
}
