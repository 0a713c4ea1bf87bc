package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parapet model verify}'s I/O step on broken exports: each fails with a message that names the tensor or
 * key and the fix, before any session runs.
 */
class DecoderExportCheckTest {
  @TempDir Path dir;

  private static ModelLoadException broken(Path model) {
    return assertThrows(ModelLoadException.class, () -> DecoderExportCheck.check(model, GuardFamily.LLAMA_GUARD_3));
  }

  /** Rewrites one key of config.json and re-writes the manifest (so the checksums still match). */
  private static void editConfig(Path model, String key, int value) throws Exception {
    Path cfg = model.resolve("config.json");
    String json = Files.readString(cfg).replaceFirst("\"" + key + "\"\\s*:\\s*\\d+", "\"" + key + "\" : " + value);
    assertTrue(json.contains("\"" + key + "\" : " + value), json);
    Files.writeString(cfg, json);
    ModelManifest.create(model, GuardFamily.LLAMA_GUARD_3.id(), Map.of());
  }

  @Test
  void check_missingPresentOutput_namesTheTensorAndLayer() {
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3,
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withOmittedOutputs(List.of("present.1.value")));
    ModelLoadException e = broken(m);
    assertTrue(e.getMessage().contains("missing output 'present.1.value' for layer 1 of 2"), e.getMessage());
    assertTrue(e.getMessage().contains("text-generation-with-past"), "names the export that has it: " + e.getMessage());
  }

  @Test
  void check_missingLogits_listsTheOutputsFound() {
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3,
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withOmittedOutputs(List.of("logits")));
    ModelLoadException e = broken(m);
    assertTrue(e.getMessage().contains("no output 'logits'") && e.getMessage().contains("present.0.key"),
        e.getMessage());
  }

  @Test
  void check_kvCountDiffersFromConfigLayers_saysTheFilesComeFromDifferentExports() throws Exception {
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    editConfig(m, "num_hidden_layers", 3);
    ModelLoadException e = broken(m);
    assertTrue(e.getMessage().contains("2 layers of KV inputs but config.json says num_hidden_layers=3"),
        e.getMessage());
  }

  @Test
  void check_kvHeadsDifferFromConfig_namesBothValues() throws Exception {
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    editConfig(m, "num_key_value_heads", 4);
    ModelLoadException e = broken(m);
    assertTrue(e.getMessage().contains("kv_heads=2 but config.json says num_key_value_heads=4"), e.getMessage());
  }

  @Test
  void check_headDimDiffersFromConfig_namesBothValues() throws Exception {
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    editConfig(m, "head_dim", 16);
    ModelLoadException e = broken(m);
    assertTrue(e.getMessage().contains("head_dim=8 but config.json says head_dim=16"), e.getMessage());
  }

  @Test
  void check_tokenizerLargerThanLogits_saysTheyComeFromDifferentModels() {
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3,
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withLogitsVocab(1000));
    ModelLoadException e = broken(m);
    assertTrue(e.getMessage().contains("1200 token ids, but the graph's logits have 1000"), e.getMessage());
  }

  @Test
  void check_wideAttentionFixture_passes() {
    // attention width 4 x 16 = 64 against hidden 32 (Qwen3's layout): head_dim comes from the graph
    Path m = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3,
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withHeadDim(16).withQkNorm(true).withTiedEmbeddings(true));
    String summary = DecoderExportCheck.check(m, GuardFamily.LLAMA_GUARD_3).summary();
    assertTrue(summary.startsWith("llama-guard-3: 2 layers, 2 KV heads x 16, vocab 1200"), summary);
  }

  @Test
  void checkKvCount_extraOrMisnamedKvTensors_areListed() {
    Path f = Path.of("model.onnx");
    Set<String> in = new TreeSet<>(List.of("input_ids", "attention_mask", "past_key_values.0.key",
        "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value"));
    Set<String> out = new TreeSet<>(List.of("logits", "present.0.key", "present.0.value", "present.1.key",
        "present.1.value"));
    assertDoesNotThrow(() -> DecoderExportCheck.checkKvCount(f, 2, in, out));
    Set<String> extraOut = new TreeSet<>(out);
    extraOut.add("present.2.key");
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> DecoderExportCheck.checkKvCount(f, 2, in, extraOut));
    assertTrue(e.getMessage().contains("5 present.* outputs, expected 4 each")
        && e.getMessage().contains("unexpected: [present.2.key]"), e.getMessage());
    Set<String> gapIn = new TreeSet<>(in);
    gapIn.add("past_key_values.3.key");
    gapIn.add("past_key_values.3.value");
    e = assertThrows(ModelLoadException.class, () -> DecoderExportCheck.checkKvCount(f, 2, gapIn, out));
    assertTrue(e.getMessage().contains("6 past_key_values.* inputs")
        && e.getMessage().contains("past_key_values.3.key"), e.getMessage());
  }
}
