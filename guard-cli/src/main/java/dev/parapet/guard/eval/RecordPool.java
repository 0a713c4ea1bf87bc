package dev.parapet.guard.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/** Maps records to results on a fixed number of daemon threads, keeping input order. Shared by both evaluators. */
final class RecordPool {
  private RecordPool() {}

  /**
   * Applies {@code f} to every record, one progress step each.
   *
   * @param verb what {@code f} does, for the error message ("checking", "replaying")
   * @throws IllegalStateException wrapping the first exception {@code f} threw, naming the record and its line
   */
  static <T> List<T> map(List<EvalRecord> records, Function<EvalRecord, T> f, int threads, Progress progress,
      String threadName, String verb) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    List<T> out = new ArrayList<>(records.size());
    if (threads == 1) {
      for (EvalRecord r : records) {
        out.add(f.apply(r));
        progress.step();
      }
      progress.finish();
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
      Thread t = new Thread(runnable, threadName);
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<T>> futures = new ArrayList<>(records.size());
      for (EvalRecord r : records) {
        futures.add(pool.submit(() -> {
          T result = f.apply(r);
          progress.step();
          return result;
        }));
      }
      for (int i = 0; i < futures.size(); i++) {
        try {
          out.add(futures.get(i).get());
        } catch (ExecutionException e) {
          EvalRecord r = records.get(i);
          throw new IllegalStateException(verb + " record " + r.id() + " (line " + r.line() + ") failed: "
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
