package dev.parapet.guard;

import dev.parapet.guard.ScoreCache.Key;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Scores;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent identical checks (same {@link Key}) share one classification: the first caller to miss the cache
 * is the leader and runs it, later ones join it as followers and wait for its outcome, each under its own timeout.
 * Thread-safe.
 *
 * <ul>
 *   <li>The shared run has its own {@link Cancellation}. It fires only when every caller waiting for the run has
 *       given up (timeout, interrupt, cancel) or when the guard closes ({@link #stop()}): one caller's timeout
 *       never cancels another caller's wait.
 *   <li>A run that fails is removed before its outcome is published, so it is never cached and a caller that
 *       arrives afterwards classifies afresh. Callers that were already waiting get the same failure (it is the
 *       outcome of the classification they asked for), except a run that ended CANCELLED while they still
 *       waited (its leader's thread was interrupted, or close): they classify once more on their own.
 *   <li>A successful run is put in the cache by the leader before it leaves this map, so a caller arriving in
 *       between finds either the run or the cached scores.
 * </ul>
 */
final class SingleFlight {
  private final ConcurrentHashMap<Key, Flight> flights = new ConcurrentHashMap<>();
  private volatile boolean stopped;

  /** One shared classification in progress. */
  static final class Flight {
    /** The run's cancellation: put in its ClassificationRequest; fired when nobody waits any more, or on close. */
    final Cancellation cancellation = Cancellation.create();
    private final CompletableFuture<Attempt<Scores>> outcome = new CompletableFuture<>();
    /** Callers still waiting (leader included); 0 = abandoned, nobody may join. */
    private final AtomicInteger waiting = new AtomicInteger(1);
    /** The executor task running the work, interrupted when the run is abandoned; null when run inline. */
    private volatile Future<?> task;

    private boolean tryJoin() {
      while (true) {
        int w = waiting.get();
        if (w == 0 || outcome.isDone()) {
          return false;
        }
        if (waiting.compareAndSet(w, w + 1)) {
          return true;
        }
      }
    }

    void runsOn(Future<?> task) {
      this.task = task;
      if (waiting.get() == 0) {
        task.cancel(true); // abandoned before the task was known
      }
    }

    private void leave() {
      if (waiting.decrementAndGet() == 0 && !outcome.isDone()) {
        cancellation.cancel();
        Future<?> t = task;
        if (t != null) {
          t.cancel(true);
        }
      }
    }
  }

  /** A caller's place in a flight. {@link #leave()} is idempotent. */
  static final class Seat {
    final Flight flight;
    final boolean leader;
    private final AtomicBoolean left = new AtomicBoolean();

    private Seat(Flight flight, boolean leader) {
      this.flight = flight;
      this.leader = leader;
    }

    /** This caller no longer waits; the last one to leave cancels the run. */
    void leave() {
      if (left.compareAndSet(false, true)) {
        flight.leave();
      }
    }

    /**
     * Waits for the run's outcome, at most {@code limit} (null: no limit), or until {@code own} (this caller's
     * cancellation) fires. A timeout, an interrupt (re-asserted) or {@code own} firing leaves the flight and gives
     * TIMEOUT or CANCELLED; the others keep waiting.
     */
    Attempt<Scores> await(Cancellation own, Duration limit, GuardTimer timer) {
      CompletableFuture<Attempt<Scores>> mine = new CompletableFuture<>();
      flight.outcome.whenComplete((a, e) -> mine.complete(a));
      try (Cancellation.Registration r = own.onCancel(() -> mine.complete(Attempt.failed(Failure.Kind.CANCELLED,
          new CancellationException("the check was cancelled while its classification ran"))))) {
        Attempt<Scores> a = limit == null ? mine.get() : timer.await(mine, limit);
        if (!flight.outcome.isDone() || flight.outcome.getNow(null) != a) {
          leave();
        }
        if (a.error instanceof VirtualMachineError) {
          throw (VirtualMachineError) a.error;
        }
        return a;
      } catch (TimeoutException e) {
        leave();
        return Attempt.failed(Failure.Kind.TIMEOUT,
            new TimeoutException("classification did not finish within " + limit));
      } catch (InterruptedException e) {
        leave();
        Thread.currentThread().interrupt();
        return Attempt.failed(Failure.Kind.CANCELLED, e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("a flight's outcome never completes exceptionally", e); // not reached
      }
    }
  }

  /** Leads a new flight for {@code key} or joins the one in progress. */
  Seat join(Key key) {
    while (true) {
      Flight f = flights.get(key);
      if (f == null) {
        Flight created = new Flight();
        if (flights.putIfAbsent(key, created) == null) {
          if (stopped) {
            created.cancellation.cancel(); // close() began: the run must not start native work
          }
          return new Seat(created, true);
        }
      } else if (f.tryJoin()) {
        return new Seat(f, false);
      } else {
        flights.remove(key, f); // abandoned or finished: start afresh
      }
    }
  }

  /**
   * Publishes the leader's outcome: the flight leaves the map first (a failure is never handed to a later
   * caller), then every waiting caller gets {@code outcome}. A success must already be in the cache.
   */
  void finish(Key key, Flight flight, Attempt<Scores> outcome) {
    flights.remove(key, flight);
    flight.outcome.complete(outcome);
  }

  /** Cancels every run in progress and every later one (close). */
  void stop() {
    stopped = true;
    for (Flight f : flights.values()) {
      f.cancellation.cancel();
    }
  }

  /** Callers waiting for runs in progress, leaders included (tests wait for a state with it). */
  int waiting() {
    int n = 0;
    for (Flight f : flights.values()) {
      n += Math.max(0, f.waiting.get());
    }
    return n;
  }
}
