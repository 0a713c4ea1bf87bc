package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Verdict;
import java.util.List;
import java.util.function.Function;

/**
 * Runs a check (usually {@code guard::check}) over labelled records on a fixed number of threads, keeping
 * input order. Stateless; thread-safe.
 */
public final class Evaluator {
  private Evaluator() {}

  /**
   * Checks every record.
   *
   * @param check the guard's check; must be thread-safe when {@code threads > 1}
   * @param threads worker threads, >= 1
   * @throws IllegalStateException wrapping the first exception a check threw (a guard records classifier
   *     failures in its verdict, so this means a bug, not a model error)
   */
  public static List<Prediction> run(
      List<EvalRecord> records, Function<Conversation, Verdict> check, int threads, Progress progress) {
    return run(records, check, threads, progress, p -> { });
  }

  /**
   * As {@link #run(List, Function, int, Progress)}, handing each prediction to {@code sink} as soon as it is made
   * (on the worker threads, in completion order; the sink must be thread-safe), so that a killed run leaves what it
   * scored.
   */
  public static List<Prediction> run(List<EvalRecord> records, Function<Conversation, Verdict> check, int threads,
      Progress progress, java.util.function.Consumer<Prediction> sink) {
    requireNonNull(sink, "sink");
    requireNonNull(records, "records");
    requireNonNull(check, "check");
    requireNonNull(progress, "progress");
    return RecordPool.map(records,
        r -> {
          Prediction p = Prediction.of(r, requireNonNull(check.apply(r.conversation()), "verdict"));
          sink.accept(p);
          return p;
        },
        threads, progress, "parapet-eval", "checking");
  }
}
