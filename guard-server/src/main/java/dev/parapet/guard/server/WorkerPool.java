package dev.parapet.guard.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool that runs model work: {@code workers} threads and a queue of {@code queueCapacity}. A full pool
 * rejects at once (429 + {@code Retry-After}), so overload shows as fast refusals, never as a growing backlog.
 * Thread-safe.
 */
final class WorkerPool implements AutoCloseable {
  private final ThreadPoolExecutor pool;
  private final long retryAfterSeconds;

  WorkerPool(ServerLimits limits) {
    AtomicInteger ids = new AtomicInteger();
    BlockingQueue<Runnable> queue = limits.queueCapacity() == 0 ? new SynchronousQueue<>()
        : new ArrayBlockingQueue<>(limits.queueCapacity());
    this.pool = new ThreadPoolExecutor(limits.workers(), limits.workers(), 0, TimeUnit.SECONDS, queue, r -> {
      Thread t = new Thread(r, "parapet-server-worker-" + ids.incrementAndGet());
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.AbortPolicy());
    this.retryAfterSeconds = Math.max(1, (limits.retryAfter().toMillis() + 999) / 1000);
  }

  /** What {@link #run} gives back when the deadline passed before the task finished. */
  static final class DeadlineExceeded extends Exception {
    private static final long serialVersionUID = 1L;

    DeadlineExceeded() {
      super(null, null, false, false);
    }
  }

  /**
   * Runs {@code task} on a worker and waits at most {@code remaining}. On timeout {@link DeadlineExceeded} is
   * thrown and, when {@code cancelOnTimeout}, the task is cancelled (its thread interrupted; a queued task never
   * runs). Stream steps pass false: their task must run to release its session.
   *
   * @throws ApiException 429 when the pool and its queue are full
   */
  <T> T run(Callable<T> task, Duration remaining, boolean cancelOnTimeout) throws DeadlineExceeded, InterruptedException {
    Future<T> f;
    try {
      f = pool.submit(task);
    } catch (RejectedExecutionException e) {
      throw new ApiException(429, "rate_limit_error", null, "server_busy", "the server is at capacity ("
          + pool.getMaximumPoolSize() + " workers busy, " + pool.getQueue().size() + " queued); retry after "
          + retryAfterSeconds + " s", Map.of("Retry-After", Long.toString(retryAfterSeconds)));
    }
    try {
      return f.get(Math.max(0, remaining.toNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (cancelOnTimeout) {
        f.cancel(true);
      }
      throw new DeadlineExceeded();
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(c);
    }
  }

  int queueDepth() {
    return pool.getQueue().size();
  }

  int active() {
    return pool.getActiveCount();
  }

  /** Stops taking work and waits (bounded) for running tasks; called after the HTTP side drained. */
  @Override
  public void close() {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
