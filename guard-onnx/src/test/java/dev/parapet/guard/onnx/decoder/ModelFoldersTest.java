package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Guard;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelFolders;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.testing.OnnxGraph;
import dev.parapet.guard.spi.Classifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ServiceLoader picks the decoder backend from parapet-model.json; the export check reads the graph's signature. */
class ModelFoldersTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(GuardFamily.class)
  void load_picksTheProviderTheManifestFamilyNames(GuardFamily family) {
    Path model = Fixtures.model(dir.resolve(family.id()), family);
    try (Classifier c = ModelFolders.load(model, Map.of("category-mode", "none"));
        Guard guard = Guard.builder().borrowedClassifier(c).build()) {
      DecoderGuardClassifier d = assertInstanceOf(DecoderGuardClassifier.class, c);
      assertEquals(family, d.family());
      double u = guard.checkPrompt("How do I bake bread?").unsafeScore();
      assertTrue(u >= 0 && u <= 1, "P(unsafe) " + u);
    }
  }

  @ParameterizedTest
  @EnumSource(GuardFamily.class)
  void guardBuilderModel_picksTheDecoderBackendFromTheManifestFamily(GuardFamily family) {
    Path model = Fixtures.model(dir.resolve(family.id()), family);
    try (Guard guard = Guard.builder().model(model, Map.of("category-mode", "none")).build()) {
      assertTrue(guard.classifierInfo().id().startsWith(family.id() + "@"), guard.classifierInfo().id());
      assertEquals(family.nativeTaxonomy().name(), guard.taxonomy().name());
      double u = guard.checkPrompt("How do I bake bread?").unsafeScore();
      assertTrue(u >= 0 && u <= 1, "P(unsafe) " + u);
    }
  }

  @Test
  void guardBuilderModel_unknownFamily_failsAtBuildNamingTheProviders() throws Exception {
    Path model = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    ModelManifest.create(model, "granite-guardian", Map.of());
    Guard.Builder b = Guard.builder().model(model);
    ModelLoadException e = assertThrows(ModelLoadException.class, b::build);
    assertTrue(e.getMessage().contains("no classifier provider for family 'granite-guardian'")
        && e.getMessage().contains("llama-guard-3"), e.getMessage());
  }

  @Test
  void load_unknownFamily_namesTheAvailableProviders() throws Exception {
    Path model = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    ModelManifest.create(model, "granite-guardian", Map.of());
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelFolders.load(model));
    assertTrue(e.getMessage().contains("no classifier provider for family 'granite-guardian'"), e.getMessage());
    assertTrue(e.getMessage().contains("llama-guard-3") && e.getMessage().contains("default"), e.getMessage());
  }

  @Test
  void provider_unknownOption_isRejectedWithTheKnownOnes() {
    Path model = Fixtures.model(dir.resolve("m"), GuardFamily.QWEN3GUARD_GEN);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelFolders.load(model, Map.of("devise", "cpu")));
    assertTrue(e.getMessage().contains("unknown option 'devise'") && e.getMessage().contains("category-mode"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new DecoderModelProvider.ShieldGemma().create(Map.of()));
  }

  @Test
  void exportCheck_fixture_passesWithAShapeWarning() {
    Path model = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    DecoderExportCheck.Result r = DecoderExportCheck.check(model, GuardFamily.LLAMA_GUARD_3);
    assertTrue(r.summary().startsWith("llama-guard-3: 2 layers, 2 KV heads x 8, vocab 1200"), r.summary());
    assertEquals(1, r.warnings().size());
    assertTrue(r.warnings().get(0).contains("Llama Guard 3 1B: 16/8/64/128256"), r.warnings().get(0));
  }

  @Test
  void exportCheck_graphWithoutKvCache_failsBeforeAnyRun() throws Exception {
    Path model = Fixtures.model(dir.resolve("m"), GuardFamily.LLAMA_GUARD_3);
    OnnxGraph g = new OnnxGraph("no-kv").input("input_ids", OnnxGraph.INT64, "batch", "seq")
        .input("attention_mask", OnnxGraph.INT64, "batch", "seq").output("logits", OnnxGraph.FLOAT, "batch", "seq");
    g.node("Cast", java.util.List.of("input_ids"), java.util.List.of("logits"), OnnxGraph.attrInt("to", OnnxGraph.FLOAT));
    Files.write(model.resolve("model.onnx"), g.toBytes());
    ModelManifest.create(model, "llama-guard-3", Map.of());
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> DecoderExportCheck.check(model, GuardFamily.LLAMA_GUARD_3));
    assertTrue(e.getMessage().contains("has no input"), e.getMessage());
  }
}
