package dev.parapet.guard;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Scores;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The result cache: classifier scores by {@link Key}, in a bounded Caffeine cache that guards derived with
 * {@code newBuilder()} share, plus this guard's own {@link SingleFlight}, so that concurrent identical misses run
 * one classification. Thread-safe (Caffeine and SingleFlight are).
 */
final class ScoreCache {
  /** Texts longer than this (all turns together) are keyed by a SHA-256 digest instead of held in the key. */
  static final int KEY_INLINE_CHARS = 2048;

  /**
   * Cache key: classifier id + effective taxonomy hash + the normalized turns (roles and texts), held as the
   * turn list when short, else as a SHA-256 digest of them, so a full cache of long inputs stays small.
   */
  record Key(String classifierId, String taxonomyHash, Object content) {}

  private final Cache<Key, Scores> cache;
  /** Per guard, never shared: close() stops the runs of its own guard only. */
  private final SingleFlight flights = new SingleFlight();

  private ScoreCache(Cache<Key, Scores> cache) {
    this.cache = cache;
  }

  /** A cache of at most {@code maximumSize} entries, expiring {@code expireAfterWrite} (null: never) by ticker. */
  static ScoreCache create(long maximumSize, Duration expireAfterWrite, Ticker ticker) {
    // Maintenance (eviction) on the calling thread: no work on ForkJoinPool.commonPool behind the user's back,
    // and the bound holds when a call returns rather than "eventually".
    Caffeine<Object, Object> c = Caffeine.newBuilder().maximumSize(maximumSize).recordStats()
        .executor(Runnable::run);
    if (expireAfterWrite != null) {
      c.expireAfterWrite(expireAfterWrite).ticker(ticker::read);
    }
    return new ScoreCache(c.build());
  }

  /** The same entries, with single-flight runs of its own (for a derived guard). */
  ScoreCache sharedWithNewFlights() {
    return new ScoreCache(cache);
  }

  static Key key(String classifierId, String taxonomyHash, Conversation c) {
    Object content = c.length() <= KEY_INLINE_CHARS ? c.turns() : digest(c);
    return new Key(classifierId, taxonomyHash, content);
  }

  private static String digest(Conversation c) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Turn t : c.turns()) {
        // role and length prefix each turn, so no two different turn lists produce the same byte stream
        md.update((byte) t.role().ordinal());
        md.update(ByteBuffer.allocate(4).putInt(t.text().length()).array());
        md.update(t.text().getBytes(StandardCharsets.UTF_8));
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** A hit (counted in the stats), or null. */
  Scores getIfPresent(Key key) {
    return cache.getIfPresent(key);
  }

  void put(Key key, Scores scores) {
    cache.put(key, scores);
  }

  CacheStats stats() {
    cache.cleanUp(); // run pending maintenance so that the size and eviction count are current
    com.github.benmanes.caffeine.cache.stats.CacheStats s = cache.stats();
    return new CacheStats(s.hitCount(), s.missCount(), s.evictionCount(), cache.estimatedSize());
  }

  /** Cancels every shared run in progress and every later one (close). */
  void stopFlights() {
    flights.stop();
  }

  /** Callers waiting for shared classifications in progress (tests). */
  int waiting() {
    return flights.waiting();
  }

  /**
   * A miss of a synchronous check: leads or joins the flight for {@code key}. A leader runs on the executor,
   * tracked, while this thread waits under the timeout, like {@link TimedRunner#runWaiting}.
   */
  Attempt<Scores> loadWaiting(Key key, Function<Cancellation, Callable<Scores>> work, Cancellation own,
      TimedRunner runner, BooleanSupplier guardClosed) {
    return load(key, work, own, runner, guardClosed, true);
  }

  /**
   * A miss of an async check, already on its (tracked) executor thread: a leader runs right here; the check's own
   * timer cancels {@code own}.
   */
  Attempt<Scores> loadHere(Key key, Function<Cancellation, Callable<Scores>> work, Cancellation own,
      TimedRunner runner, BooleanSupplier guardClosed) {
    return load(key, work, own, runner, guardClosed, false);
  }

  /**
   * The leader's run carries the flight's cancellation (not the caller's), so a caller's timeout or cancel only
   * stops its own wait. Caches a success.
   */
  private Attempt<Scores> load(Key key, Function<Cancellation, Callable<Scores>> work, Cancellation own,
      TimedRunner runner, BooleanSupplier guardClosed, boolean waiting) {
    for (int round = 0; ; round++) {
      SingleFlight.Seat seat = flights.join(key);
      SingleFlight.Flight flight = seat.flight;
      Attempt<Scores> a;
      if (!seat.leader) {
        // async checks: their own timer cancels `own`
        a = seat.await(own, waiting ? runner.timeout() : null, runner.timer());
      } else {
        Scores raced = cache.asMap().get(key); // a leader may have cached it just after our miss (no stats)
        if (raced != null) {
          flights.finish(key, flight, Attempt.of(raced));
          return Attempt.of(raced);
        }
        Callable<Scores> run = work.apply(flight.cancellation);
        a = waiting ? leadOnExecutor(key, seat, run, own, runner) : leadHere(key, seat, run, own);
      }
      // A run that ended CANCELLED under us (its leader's thread was interrupted): classify once on our own.
      boolean ours = own.isCancelled() || Thread.currentThread().isInterrupted() || guardClosed.getAsBoolean();
      if (seat.leader || a.ok() || a.kind != Failure.Kind.CANCELLED || ours || round > 0) {
        return a;
      }
    }
  }

  private Attempt<Scores> leadOnExecutor(Key key, SingleFlight.Seat seat, Callable<Scores> work, Cancellation own,
      TimedRunner runner) {
    SingleFlight.Flight flight = seat.flight;
    Attempt<Scores> closedNow = runner.start(work, flight.cancellation, flight::runsOn, o -> {
      if (o.ok()) {
        cache.put(key, o.value);
      }
      flights.finish(key, flight, o);
    });
    if (closedNow != null) {
      flights.finish(key, flight, closedNow);
      return closedNow;
    }
    return seat.await(own, runner.timeout(), runner.timer());
  }

  private Attempt<Scores> leadHere(Key key, SingleFlight.Seat seat, Callable<Scores> work, Cancellation own) {
    SingleFlight.Flight flight = seat.flight;
    Attempt<Scores> o = Attempt.failed(Failure.Kind.CANCELLED, new CancellationException("not run"));
    try (Cancellation.Registration r = own.onCancel(seat::leave)) {
      o = TimedRunner.runHere(work, flight.cancellation);
      if (o.ok()) {
        cache.put(key, o.value);
      }
    } catch (VirtualMachineError e) {
      o = Attempt.failed(Failure.Kind.CLASSIFIER_ERROR, e);
      throw e;
    } finally {
      flights.finish(key, flight, o);
    }
    if (own.isCancelled()) {
      seat.leave();
      return Attempt.failed(Failure.Kind.CANCELLED, new CancellationException("classification was cancelled"));
    }
    return o;
  }
}
