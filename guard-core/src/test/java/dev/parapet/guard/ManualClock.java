package dev.parapet.guard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One manual time for a guard's {@link Ticker} and its timeouts ({@link GuardTimer}): time moves only by
 * {@link #advance}, which also runs the scheduled tasks that became due. A waiter times out once the clock passed
 * its deadline, whatever the wall clock says. With a {@code waitStep}, every poll of a waiter (about 1 ms) costs
 * that much clock time too, so that time keeps moving while checks wait for each other (as wall time would),
 * but only as the code under test waits, never behind its back. Thread-safe.
 */
final class ManualClock implements Ticker, GuardTimer {
  private record Due(long at, Runnable task) {}

  private long nanos; // guarded by this
  private final List<Due> scheduled = new ArrayList<>(); // guarded by this
  private final Duration waitStep;

  /** A clock that moves only by {@link #advance}. */
  ManualClock() {
    this(Duration.ZERO);
  }

  /** A clock that also moves by {@code waitStep} on each poll of a waiter. */
  ManualClock(Duration waitStep) {
    this.waitStep = waitStep;
  }

  @Override
  public synchronized long read() {
    return nanos;
  }

  /** Moves the clock forward and runs, on this thread, every scheduled task now due. */
  void advance(Duration d) {
    List<Runnable> due = new ArrayList<>();
    synchronized (this) {
      nanos += d.toNanos();
      scheduled.removeIf(s -> s.at() <= nanos && due.add(s.task()));
    }
    due.forEach(Runnable::run);
  }

  @Override
  public <T> T await(Future<T> future, Duration limit)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = read() + limit.toNanos();
    while (true) {
      try {
        // Short real waits only to notice the future or the clock moving; the outcome depends on the clock alone.
        return future.get(1, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (read() >= deadline) {
          throw new TimeoutException("manual clock passed the " + limit + " limit");
        }
        if (!waitStep.isZero()) {
          advance(waitStep);
        }
      }
    }
  }

  @Override
  public synchronized void schedule(Duration delay, Runnable task) {
    scheduled.add(new Due(nanos + delay.toNanos(), task));
  }
}
