package dev.parapet.guard;

import dev.parapet.guard.spi.Cancellation;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The classifier work a {@link DefaultGuard} has in progress, so that {@code close()} can stop new work, cancel
 * what runs (which terminates native runs through the requests' {@link Cancellation}) and free the classifier
 * only after the last piece of work returned: freeing an ONNX Runtime session under a running native call
 * crashes the JVM. Work is tracked from when it is handed to an executor (or starts on a caller's thread) until
 * its code returns, not until its caller stops waiting, so a timed-out run still counts. Thread-safe.
 */
final class InFlight {
  private static final System.Logger LOG = System.getLogger(Guard.class.getName());

  private final Set<Ticket> active = ConcurrentHashMap.newKeySet();
  private boolean closing; // guarded by this
  private Runnable onDrained; // guarded by this

  /** One piece of tracked work. {@link #exit()} is idempotent. */
  final class Ticket {
    private final Cancellation cancellation;
    private final AtomicBoolean exited = new AtomicBoolean();

    private Ticket(Cancellation cancellation) {
      this.cancellation = cancellation;
    }

    void exit() {
      if (exited.compareAndSet(false, true)) {
        leave(this);
      }
    }
  }

  /** Tracks work that {@code cancellation} stops; null once {@link #close} began (the caller fails the check). */
  Ticket enter(Cancellation cancellation) {
    synchronized (this) {
      if (closing) {
        return null;
      }
      Ticket t = new Ticket(cancellation);
      active.add(t);
      return t;
    }
  }

  int size() {
    return active.size();
  }

  private void leave(Ticket t) {
    Runnable release = null;
    synchronized (this) {
      active.remove(t);
      if (closing && active.isEmpty()) {
        release = onDrained;
        onDrained = null;
        notifyAll();
      }
    }
    if (release != null) {
      release.run(); // the close() that gave up waiting left the release to the last piece of work
    }
  }

  /** Refuses new work and cancels everything in progress (idempotent). */
  void stop() {
    List<Ticket> running;
    synchronized (this) {
      closing = true;
      running = List.copyOf(active);
    }
    for (Ticket t : running) {
      t.cancellation.cancel();
    }
  }

  /**
   * Refuses new work, cancels everything in progress, waits up to {@code max} for it to return and then runs
   * {@code release} once: at once when nothing is left, otherwise on the thread of the last work to return (so
   * the classifier is never freed under a running call, however long a misbehaving classifier ignores its
   * cancellation).
   *
   * @return whether everything returned within {@code max}
   */
  boolean close(Duration max, Runnable release) {
    stop();
    long deadline = System.nanoTime() + max.toNanos();
    boolean drained;
    boolean interrupted = false;
    synchronized (this) {
      while (!active.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || interrupted) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      drained = active.isEmpty();
      if (!drained) {
        onDrained = release;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (drained) {
      release.run();
    } else {
      LOG.log(System.Logger.Level.WARNING, active.size() + " classifier call(s) still running " + max
          + " after close() cancelled them; the classifier is closed when the last one returns");
    }
    return drained;
  }

  /**
   * A task that runs {@code work} and then exits {@code ticket}; a task cancelled before it started exits the
   * ticket at once and never runs the work (exactly one of the two claims it). {@link #completed()} runs after
   * either.
   */
  static class TrackedTask<T> extends FutureTask<T> {
    private final AtomicBoolean claimed;
    private final Ticket ticket;

    TrackedTask(Callable<T> work, Ticket ticket) {
      this(work, ticket, new AtomicBoolean());
    }

    private TrackedTask(Callable<T> work, Ticket ticket, AtomicBoolean claimed) {
      super(() -> {
        if (!claimed.compareAndSet(false, true)) {
          throw new CancellationException("cancelled before it started");
        }
        try {
          return work.call();
        } finally {
          ticket.exit();
        }
      });
      this.claimed = claimed;
      this.ticket = ticket;
    }

    @Override
    protected final void done() {
      if (isCancelled() && claimed.compareAndSet(false, true)) {
        ticket.exit();
      }
      completed();
    }

    /** Called once the task is done (run, failed or cancelled). */
    void completed() {}
  }
}
