package dev.parapet.guard;

import dev.parapet.guard.spi.Cancellation;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Where and how long classifier work runs: the executor (a user's, or a pool this runner owns), the per-call
 * timeout, async checks, and the {@link InFlight} tracking that lets {@code close()} cancel work and free the
 * classifier only after the last run returned. Every failure of the work becomes an {@link Attempt}, never an
 * exception (except {@link VirtualMachineError}, which is rethrown: the JVM is in trouble). Thread-safe.
 */
final class TimedRunner {
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  private final Executor executor;
  /** Our own pool, shut down on close; null when the executor is the user's. */
  private final ExecutorService ownedPool;
  /** The per-call limit; null for none. */
  private final Duration timeout;
  /** Work in progress, cancelled and awaited by close() before the classifier is freed. */
  private final InFlight inFlight = new InFlight();
  /** Measures the timeout: waits of sync checks, timers of async ones. */
  private final GuardTimer timer;

  /** A runner on {@code executor} (not owned), or on a pool of its own when it is null. */
  TimedRunner(Executor executor, Duration timeout, GuardTimer timer) {
    this.timer = timer;
    if (executor != null) {
      this.executor = executor;
      this.ownedPool = null;
    } else {
      // Threads start lazily, so a pool per guard (derived ones included) costs nothing until used.
      this.ownedPool = newPool();
      this.executor = ownedPool;
    }
    this.timeout = timeout;
  }

  private static ExecutorService newPool() {
    int n = Math.max(2, Runtime.getRuntime().availableProcessors());
    int id = POOL_IDS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    ThreadFactory f = r -> {
      Thread t = new Thread(r, "parapet-guard-" + id + "-" + threads.incrementAndGet());
      t.setDaemon(true); // a forgotten close() must not keep the JVM alive
      return t;
    };
    ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), f);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** The per-call limit, or null for none. */
  Duration timeout() {
    return timeout;
  }

  GuardTimer timer() {
    return timer;
  }

  /** The user's executor, to share with a derived guard; null when the pool is our own (never shared). */
  Executor sharableExecutor() {
    return ownedPool != null ? null : executor;
  }

  /**
   * Runs classifier work on the executor and waits for it, at most the timeout when one is set. The caller's
   * thread only waits, so an interrupt, like the limit passing, cancels the work: the Cancellation terminates a
   * native run and the work's thread is interrupted. The work is tracked until it returns, so close() never
   * frees the classifier under it.
   */
  <T> Attempt<T> runWaiting(Callable<T> work, Cancellation cancel) {
    InFlight.Ticket ticket = inFlight.enter(cancel);
    if (ticket == null) {
      return closedWhileStarting();
    }
    Future<T> task = new InFlight.TrackedTask<>(() -> {
      cancel.throwIfCancelled(); // cancelled while queued (close, timeout, interrupt)
      return work.call();
    }, ticket);
    try {
      executor.execute((Runnable) task);
    } catch (RejectedExecutionException e) {
      task.cancel(false); // never runs: leaves the in-flight set
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    }
    try {
      T value = timeout == null ? task.get() : timer.await(task, timeout);
      return Attempt.of(value);
    } catch (TimeoutException e) {
      cancel.cancel();
      task.cancel(true);
      return Attempt.failed(Failure.Kind.TIMEOUT, timeoutError());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof VirtualMachineError) {
        throw (VirtualMachineError) cause;
      }
      return Attempt.failed(cause instanceof CancellationException || cancel.isCancelled()
          ? Failure.Kind.CANCELLED : Failure.Kind.CLASSIFIER_ERROR, cause);
    } catch (CancellationException e) {
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    } catch (InterruptedException e) {
      cancel.cancel();
      task.cancel(true);
      Thread.currentThread().interrupt();
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    }
  }

  /** Runs classifier work on this thread (an async check's executor thread, already tracked). */
  static <T> Attempt<T> runHere(Callable<T> work, Cancellation cancel) {
    try {
      return Attempt.of(work.call());
    } catch (CancellationException e) {
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      if (Thread.currentThread().isInterrupted() || cancel.isCancelled()) {
        return Attempt.failed(Failure.Kind.CANCELLED, e);
      }
      return Attempt.failed(Failure.Kind.CLASSIFIER_ERROR, e);
    }
  }

  /**
   * Starts classifier work on the executor, tracked, without waiting for it: {@code onDone} gets its outcome
   * when it ends, also when it is cancelled or the executor rejects it. {@code beforeQueued} sees the task
   * first (to interrupt it later).
   *
   * @return null when started; the CANCELLED outcome when close() already began (onDone is not called then)
   */
  <T> Attempt<T> start(Callable<T> work, Cancellation cancel, Consumer<Future<?>> beforeQueued,
      Consumer<Attempt<T>> onDone) {
    InFlight.Ticket ticket = inFlight.enter(cancel);
    if (ticket == null) {
      return closedWhileStarting();
    }
    InFlight.TrackedTask<T> task = new InFlight.TrackedTask<>(() -> {
      cancel.throwIfCancelled(); // abandoned or closed while queued
      return work.call();
    }, ticket) {
      @Override
      void completed() {
        onDone.accept(outcome(this, cancel));
      }
    };
    beforeQueued.accept(task);
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      onDone.accept(Attempt.failed(Failure.Kind.CANCELLED, e)); // before completed() answers
      task.cancel(false); // never runs: leaves the in-flight set
    }
    return null;
  }

  /** What an async check does; see {@link #async}. */
  interface AsyncCheck<T> {
    /** Called on the caller's thread once the check is accepted (before it may be queued). */
    void accepted();

    /**
     * The check, on the executor thread. Returns null when it lost the race against the timeout: the answer
     * belongs to whoever sets {@code answered} first.
     */
    T run(Cancellation cancel, AtomicBoolean answered) throws Exception;

    /** The answer when the executor refused the task (may throw to refuse the call instead). */
    T rejected(RejectedExecutionException e);

    /** The answer when the timeout passed first; the work has been cancelled. */
    T timedOut(TimeoutException e);
  }

  /**
   * Runs {@code check} on the executor. The future always completes: with the check's answer, with
   * {@link AsyncCheck#timedOut} when the timeout passes first (even if the work ignores its cancellation), with
   * {@link AsyncCheck#rejected} when the executor refuses, or exceptionally with {@link IllegalStateException}
   * when close() cancels it before it ran. Cancelling the future cancels the work (the Cancellation terminates
   * a native run, the interrupt the rest).
   *
   * @throws IllegalStateException when close() already began
   */
  <T> CompletableFuture<T> async(AsyncCheck<T> check) {
    Cancellation cancel = Cancellation.create();
    InFlight.Ticket ticket = inFlight.enter(cancel);
    if (ticket == null) {
      throw new IllegalStateException("this Guard is closed; build a new one");
    }
    AtomicBoolean done = new AtomicBoolean();
    CancellableFuture<T> result = new CancellableFuture<>();
    // Started on the caller's thread: a task that times out while still queued never runs, yet its check
    // started (and finishes with a TIMEOUT answer below).
    check.accepted();
    InFlight.TrackedTask<T> task = new InFlight.TrackedTask<>(() -> {
      // The work runs right here on the executor thread; the timeout (if any) is enforced below by cancelling
      // this task, so no second executor thread is needed (which could deadlock a bounded pool).
      T v = check.run(cancel, done);
      if (v != null) {
        result.complete(v);
      }
      return v;
    }, ticket) {
      @Override
      void completed() {
        if (isCancelled()) {
          // Cancelled by close() while queued, or by the caller (future.cancel) (a timeout cancels only after
          // taking `done`).
          if (done.compareAndSet(false, true)) {
            result.completeExceptionally(new IllegalStateException("the Guard was closed before this check ran"));
          }
        } else {
          try {
            get();
          } catch (ExecutionException e) {
            if (done.compareAndSet(false, true)) {
              result.completeExceptionally(e.getCause());
            }
          } catch (InterruptedException | CancellationException e) {
            // not reached: completed() runs after completion
          }
        }
      }
    };
    result.onCancel = () -> {
      done.set(true);
      cancel.cancel();
      task.cancel(true);
    };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      done.set(true); // before cancelling the task, whose completion would otherwise answer
      task.cancel(false); // never ran: leaves the in-flight set
      result.complete(check.rejected(e));
      return result;
    }
    if (timeout != null) {
      timer.schedule(timeout, () -> {
        if (!result.isDone() && done.compareAndSet(false, true)) {
          cancel.cancel();
          task.cancel(true);
          result.complete(check.timedOut(timeoutError()));
        }
      });
    }
    return result;
  }

  /** The future of {@link #async}: cancelling it cancels the work. */
  static final class CancellableFuture<T> extends CompletableFuture<T> {
    volatile Runnable onCancel;

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      Runnable r = onCancel;
      if (cancelled && r != null) {
        r.run();
      }
      return cancelled;
    }
  }

  /** First step of close(): no new work starts, and the work in progress is cancelled. */
  void stop() {
    inFlight.stop();
  }

  /**
   * Last step of close(): cancels queued work and interrupts running work on our own pool, then waits up to
   * {@code drain} for tracked work to return and runs {@code release} after the last of it (on this thread, or
   * on the thread of the last work to return when that takes longer).
   */
  void shutdown(Duration drain, Runnable release) {
    if (ownedPool != null) {
      // Cancels queued checks (their futures complete exceptionally) and interrupts running ones; their native
      // runs are terminated through their Cancellation by inFlight.close below.
      for (Runnable queued : ownedPool.shutdownNow()) {
        if (queued instanceof Future) {
          ((Future<?>) queued).cancel(false);
        }
      }
    }
    inFlight.close(drain, release);
  }

  private TimeoutException timeoutError() {
    return new TimeoutException("classification did not finish within " + timeout);
  }

  private static <T> Attempt<T> closedWhileStarting() {
    return Attempt.failed(Failure.Kind.CANCELLED,
        new IllegalStateException("the Guard was closed while this check started"));
  }

  /** The outcome of a finished task, as {@link #runWaiting} maps it. */
  private static <T> Attempt<T> outcome(Future<T> done, Cancellation cancel) {
    try {
      return Attempt.of(done.get());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return Attempt.failed(cause instanceof CancellationException || cancel.isCancelled()
          ? Failure.Kind.CANCELLED : Failure.Kind.CLASSIFIER_ERROR, cause);
    } catch (CancellationException e) {
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // not reached: the task is done
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    }
  }
}
