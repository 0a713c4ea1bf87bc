package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.testing.ScriptedClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Guard.builder().model(Path)} without guard-onnx: the errors (the backend choice itself is tested in
 * guard-onnx's ModelFoldersTest, where the decoder providers are registered).
 */
class GuardBuilderModelTest {
  @TempDir Path dir;

  @Test
  void model_folderWithoutManifest_failsAtBuildWithTheFix() {
    Guard.Builder b = Guard.builder().model(dir);
    ModelLoadException e = assertThrows(ModelLoadException.class, b::build);
    assertTrue(e.getMessage().contains("parapet-model.json") && e.getMessage().contains("cannot read"),
        e.getMessage());
  }

  @Test
  void model_manifestWithoutFamily_saysHowToWriteIt() throws Exception {
    Files.writeString(dir.resolve("parapet-model.json"), "{\"formatVersion\": 1, \"files\": {}}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> Guard.builder().model(dir).build());
    assertTrue(e.getMessage().contains("no \"family\" key") && e.getMessage().contains("parapet model init"),
        e.getMessage());
  }

  @Test
  void model_familyWithoutProvider_listsTheProvidersFound() throws Exception {
    Files.writeString(dir.resolve("parapet-model.json"), "{\"family\": \"granite-guardian\"}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> Guard.builder().model(dir).build());
    assertTrue(e.getMessage().contains("no classifier provider for family 'granite-guardian'")
        && e.getMessage().contains("guard-onnx"), e.getMessage());
  }

  @Test
  void model_optionsNamingModel_areRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Guard.builder().model(dir, Map.of("model", "/elsewhere")));
    assertTrue(e.getMessage().contains("must not set 'model'"), e.getMessage());
  }

  @Test
  void classifierAfterModel_replacesTheFolder() throws Exception {
    ScriptedClassifier c = ScriptedClassifier.builder().build();
    try (Guard g = Guard.builder().model(dir).classifier(c).build()) {
      assertEquals(c.info().id(), g.classifierInfo().id());
    }
  }
}
