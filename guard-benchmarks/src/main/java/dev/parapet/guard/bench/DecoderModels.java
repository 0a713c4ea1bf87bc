package dev.parapet.guard.bench;

import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.decoder.DecoderGuardClassifier;
import dev.parapet.guard.onnx.decoder.DecoderOptions;
import dev.parapet.guard.onnx.decoder.Fixtures;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes a random-weight decoder of a given shape and loads it as a Llama Guard 3 classifier. */
final class DecoderModels {
  /** The prompt format the benchmark decoder is read with. */
  static final String FAMILY = "llama-guard-3";

  private DecoderModels() {}

  /**
   * Texts the fixture tokenizer must know: every family's template words (guard-onnx's {@code Fixtures}) and
   * the benchmark's prompt and response words, so that nothing tokenizes as the unknown token.
   */
  static List<String> seedTexts() {
    List<String> seeds = new ArrayList<>(Fixtures.seedTexts());
    seeds.add(ResponseText.vocabularyText());
    return seeds;
  }

  /**
   * Writes the model into a new temporary folder (owned by the returned backend, deleted on close) and loads
   * it with the classifier's default options apart from the ONNX Runtime threads.
   */
  static LoadedBackend load(DecoderShape shape, OnnxOptions onnx) {
    Path dir;
    try {
      dir = Files.createTempDirectory("parapet-bench-decoder-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a temporary folder for the benchmark decoder", e);
    }
    DecoderGuardClassifier classifier = null;
    try {
      TinyDecoderFixture.write(dir, shape.fixtureConfig(FAMILY, seedTexts()));
      classifier = DecoderGuardClassifier.load(dir, DecoderOptions.builder().onnx(onnx).build());
      return LoadedBackend.of(classifier, dir);
    } catch (RuntimeException e) {
      if (classifier != null) {
        classifier.close();
      }
      LoadedBackend.deleteRecursively(dir);
      throw e;
    }
  }
}
