package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.parapet.guard.onnx.OnnxOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.parapet.guard.testing.TestAssets;

/**
 * The embedded default model for tests: one classifier loaded once per test JVM and shared by the test classes
 * (loading verifies 20+ MB of checksums; the classifier is thread-safe and the tests that share it never close
 * it).
 *
 * <p>The model is trained by {@code models/recipes/default} into {@code models/default/}, which
 * guard-default-model packages. Until a model has been trained into the repository the tests that need it are
 * skipped; once {@code models/default/model.onnx} exists, a model missing from the classpath is a packaging
 * error and fails the tests.
 */
final class SharedModel {
  static final List<String> FILES = List.of("parapet-model.json", "model.onnx", "tokenizer.json");
  private static EncoderGuardClassifier instance;

  private SharedModel() {}

  static synchronized EncoderGuardClassifier get() {
    assumeModel();
    if (instance == null) {
      instance = load();
    }
    return instance;
  }

  /** A fresh classifier (for tests that close it). */
  static EncoderGuardClassifier load() {
    assumeModel();
    return EncoderGuardClassifier.loadDefault(OnnxOptions.builder().intraOpThreads(2).build());
  }

  /** Skips the calling test when no default model has been trained into the repository yet. */
  static void assumeModel() {
    boolean onClasspath = EncoderGuardClassifier.class.getClassLoader()
        .getResource(EncoderGuardClassifier.DEFAULT_RESOURCE_DIR + "model.onnx") != null;
    if (!onClasspath) {
      // surefire runs in the module directory
      boolean inRepo = Files.isRegularFile(Path.of("..", "models", "default", "model.onnx"));
      assertFalse(inRepo, "models/default/model.onnx exists but is not on the test classpath: rebuild and install"
          + " guard-default-model (mvn -pl guard-default-model install)");
      TestAssets.assume("default-model", false, "no default model trained into models/default yet (models/recipes/default/run_all.sh)");
    }
  }

  /** Copies the embedded model's files into {@code dir}. */
  static void copyTo(Path dir) {
    assumeModel();
    for (String f : FILES) {
      try (InputStream in = SharedModel.class.getClassLoader()
          .getResourceAsStream(EncoderGuardClassifier.DEFAULT_RESOURCE_DIR + f)) {
        if (in == null) {
          throw new IllegalStateException("guard-default-model on the classpath lacks " + f);
        }
        Files.copy(in, dir.resolve(f));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
