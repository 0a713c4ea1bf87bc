package dev.parapet.guard.bench;

import dev.parapet.guard.onnx.ModelManifest;
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
   * Writes (or finds) the cached folders of the named presets and loads each once, so a benchmark run does not
   * spend its first trial writing gigabytes: {@code java -Dparapet.bench.models=DIR -cp benchmarks.jar
   * dev.parapet.guard.bench.DecoderModels qwen3-0.6b-int4 ...} (scripts/bench.sh --real-shapes runs it).
   */
  public static void main(String[] args) {
    if (args.length == 0) {
      System.err.println("usage: DecoderModels PRESET... (one of " + DecoderShape.presetNames() + ")");
      System.exit(2);
    }
    if (System.getProperty("parapet.bench.models") == null) {
      System.setProperty("parapet.bench.models", "guard-benchmarks/target/decoder-models");
    }
    for (String a : args) {
      DecoderShape shape = DecoderShape.parse(a);
      long t0 = System.nanoTime();
      try (LoadedBackend b = load(shape, LoadedBackend.onnxOptions(BenchSettings.intraOpThreads()))) {
        System.err.printf("DecoderModels: %s loaded from %s in %.0f s%n", shape, cacheDir(shape),
            (System.nanoTime() - t0) / 1e9);
      }
    }
  }

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
   * Writes the model and loads it with the classifier's default options apart from the ONNX Runtime threads.
   * Small shapes go into a new temporary folder (owned by the returned backend, deleted on close). Size-faithful
   * presets ({@link DecoderShape#realSize()}) take minutes and gigabytes to write: they are cached under
   * {@code -Dparapet.bench.models} (bench.sh: guard-benchmarks/target/decoder-models; never committed) in a
   * folder keyed by shape, seed and fixture format ({@link #cacheDir}), and read with the real Llama 3.1
   * tokenizer when {@code -Dparapet.tokenizers.dir} holds it, so that prompts have their real token counts.
   * Every preset is read as Llama Guard 3 with that tokenizer (its 128,256 ids fit every preset's vocabulary):
   * the prompts and their token counts are then the same for all shapes, and the shape alone sets the cost.
   */
  static LoadedBackend load(DecoderShape shape, OnnxOptions onnx) {
    String cache = System.getProperty("parapet.bench.models");
    if (shape.realSize() && cache != null && !cache.isBlank()) {
      Path dir = cacheDir(shape);
      if (!Files.isRegularFile(dir.resolve(".complete"))) {
        write(dir, shape);
      }
      return LoadedBackend.of(DecoderGuardClassifier.load(dir, DecoderOptions.builder().onnx(onnx).build()), null);
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("parapet-bench-decoder-");
    } catch (IOException e) {
      throw new UncheckedIOException("could not create a temporary folder for the benchmark decoder", e);
    }
    DecoderGuardClassifier classifier = null;
    try {
      write(dir, shape);
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

  /** Bumped whenever the fixture writes different weights or graphs for the same config. */
  static final String FIXTURE_FORMAT = "v2";

  /** The cached folder of a size-faithful preset: {@code <models>/<shape>-seed<seed>-<format>}. */
  static Path cacheDir(DecoderShape shape) {
    String cache = System.getProperty("parapet.bench.models", "guard-benchmarks/target/decoder-models");
    long seed = shape.fixtureConfig(FAMILY, List.of()).seed();
    return Path.of(cache, shape.name() + "-seed" + seed + "-" + FIXTURE_FORMAT);
  }

  private static void write(Path dir, DecoderShape shape) {
    long start = System.nanoTime();
    if (shape.realSize()) {
      System.err.printf("DecoderModels: writing %s into %s (%.2f GB of weights)%n", shape, dir,
          shape.fixtureConfig(FAMILY, List.of()).weightBytes() / 1e9);
    }
    TinyDecoderFixture.write(dir, shape.fixtureConfig(FAMILY, seedTexts()));
    try {
      String tokDir = System.getProperty("parapet.tokenizers.dir");
      Path real = tokDir == null ? null : Path.of(tokDir, "llama3_1", "tokenizer.json");
      if (shape.realSize() && real != null && Files.isRegularFile(real)) {
        Files.copy(real, dir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ModelManifest.create(dir, FAMILY, java.util.Map.of());
        System.err.println("DecoderModels: " + shape + " uses the real Llama 3.1 tokenizer from " + real);
      }
      Files.writeString(dir.resolve(".complete"), shape.name());
      if (shape.realSize()) {
        System.err.printf("DecoderModels: wrote %s in %.0f s%n", shape, (System.nanoTime() - start) / 1e9);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not finish the benchmark decoder in " + dir, e);
    }
  }
}
