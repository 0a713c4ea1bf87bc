package dev.parapet.guard.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The classifier SPI: turns a conversation into {@link Scores}. Implementations must be thread-safe
 * ({@code classify} is called concurrently by a shared {@code Guard}) and pure (same request, same scores).
 *
 * <p>Implementations report failures by throwing {@link dev.parapet.guard.ClassificationException}; the
 * {@code Guard} applies its fail-closed or fail-open policy. A conforming implementation passes
 * {@code ClassifierContractTest} from guard-core's test-jar.
 */
public interface Classifier extends AutoCloseable {

  /** What this classifier is; constant for its lifetime. */
  ClassifierInfo info();

  /** Scores one request. */
  Scores classify(ClassificationRequest request);

  /**
   * Scores many requests; the result has one entry per request, in order. The default calls
   * {@link #classify} in a loop; backends that batch override it.
   */
  default List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    List<Scores> out = new ArrayList<>(requests.size());
    for (ClassificationRequest r : requests) {
      out.add(classify(r));
    }
    return out;
  }

  /** A stateful view for streaming, if this backend can check a growing response cheaper than from scratch. */
  default Optional<IncrementalClassifier> incremental() {
    return Optional.empty();
  }

  /** Releases native resources. Idempotent. Calls after close throw {@link IllegalStateException}. */
  @Override
  default void close() {}
}
