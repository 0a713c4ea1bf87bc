package dev.parapet.guard;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The time source of the guard's timeouts: a sync check waits for its work through {@link #await}, an async
 * check's timeout is a task run by {@link #schedule}. Package-private seam, so that tests drive every timeout
 * with a manual clock (the one that is also their {@link Ticker}) instead of waiting for wall-clock time.
 * Implementations must be thread-safe.
 */
interface GuardTimer {
  /**
   * {@code future}'s value, waiting at most {@code limit}.
   *
   * @throws TimeoutException when {@code limit} passed first
   */
  <T> T await(Future<T> future, Duration limit) throws InterruptedException, ExecutionException, TimeoutException;

  /** Runs {@code task} once {@code delay} has passed (on a timer thread; the task must be short). */
  void schedule(Duration delay, Runnable task);

  /** Wall-clock time: {@link Future#get(long, TimeUnit)} and the JDK's shared delayed executor. */
  static GuardTimer system() {
    return new GuardTimer() {
      @Override
      public <T> T await(Future<T> future, Duration limit)
          throws InterruptedException, ExecutionException, TimeoutException {
        return future.get(limit.toNanos(), TimeUnit.NANOSECONDS);
      }

      @Override
      public void schedule(Duration delay, Runnable task) {
        CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS, Runnable::run).execute(task);
      }

      @Override
      public String toString() {
        return "GuardTimer.system()";
      }
    };
  }
}
