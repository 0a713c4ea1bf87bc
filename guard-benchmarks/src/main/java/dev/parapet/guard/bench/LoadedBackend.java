package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Guard;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.policy.Rule;
import dev.parapet.guard.spi.Classifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A loaded backend: its classifier and a {@link Guard} over it for the streaming sessions. Owns both (and the
 * temporary model folder of a DECODER): close it. Not thread-safe to close; the classifier and guard are.
 *
 * <p>The guard has no result cache (every check runs the model), no timeout (checks run on the calling
 * thread) and a policy that flags but never blocks ({@code default=flag@0.5}): the benchmarks measure cost, and a
 * random-weight decoder may well call benign text unsafe, which must not stop the stream. Flag and block cost the
 * same.
 */
final class LoadedBackend implements AutoCloseable {
  /** Flags, never blocks: the streams must not stop (see the class comment). */
  static final Policy FLAG_ONLY = Policy.builder().defaultRule(Rule.flag(0.5)).build();

  private final Classifier classifier;
  private final Guard guard;
  private final Path modelDir;

  private LoadedBackend(Classifier classifier, Path modelDir) {
    this.classifier = classifier;
    this.modelDir = modelDir;
    // Checks run on the calling (benchmark) thread: HeapCounter reads that thread's allocation, and a check on the
    // guard's own pool would be invisible to it (heapBytesPerToken then showed ~224 B at every length).
    this.guard = Guard.builder().borrowedClassifier(classifier).noCache().noTimeout().executor(Runnable::run)
        .policy(FLAG_ONLY).build();
  }

  static OnnxOptions onnxOptions(int intraOpThreads) {
    return OnnxOptions.builder().intraOpThreads(intraOpThreads).interOpThreads(1).build();
  }

  /**
   * Loads {@code backend}. For DECODER, writes a random-weight model of {@code shape} into a temporary folder
   * first (deleted on close).
   */
  static LoadedBackend load(Backend backend, DecoderShape shape, int intraOpThreads) {
    requireNonNull(backend, "backend");
    requireNonNull(shape, "shape");
    OnnxOptions options = onnxOptions(intraOpThreads);
    return switch (backend) {
      case DEFAULT -> new LoadedBackend(EncoderGuardClassifier.loadDefault(options), null);
      case DECODER -> DecoderModels.load(shape, options);
    };
  }

  /** For {@link DecoderModels}: takes ownership of the classifier and the folder. */
  static LoadedBackend of(Classifier classifier, Path modelDir) {
    return new LoadedBackend(classifier, modelDir);
  }

  Classifier classifier() {
    return classifier;
  }

  Guard guard() {
    return guard;
  }

  @Override
  public void close() {
    try {
      guard.close();
    } finally {
      try {
        classifier.close();
      } finally {
        if (modelDir != null) {
          deleteRecursively(modelDir);
        }
      }
    }
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException("could not delete " + p, e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + dir, e);
    }
  }
}
