package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    requireNonNull(records, "records");
    requireNonNull(check, "check");
    requireNonNull(progress, "progress");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    List<Prediction> out = new ArrayList<>(records.size());
    if (threads == 1) {
      for (EvalRecord r : records) {
        out.add(Prediction.of(r, requireNonNull(check.apply(r.conversation()), "verdict")));
        progress.step();
      }
      progress.finish();
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
      Thread t = new Thread(runnable, "parapet-eval");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<Prediction>> futures = new ArrayList<>(records.size());
      for (EvalRecord r : records) {
        futures.add(pool.submit(() -> {
          Prediction p = Prediction.of(r, requireNonNull(check.apply(r.conversation()), "verdict"));
          progress.step();
          return p;
        }));
      }
      for (int i = 0; i < futures.size(); i++) {
        try {
          out.add(futures.get(i).get());
        } catch (ExecutionException e) {
          EvalRecord r = records.get(i);
          throw new IllegalStateException("checking record " + r.id() + " (line " + r.line() + ") failed: "
              + e.getCause(), e.getCause());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("evaluation was interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    progress.finish();
    return out;
  }
}
