package dev.parapet.guard.testing;

import dev.parapet.guard.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when told. Thread-safe. */
public final class ManualTicker implements Ticker {
  private final AtomicLong nanos = new AtomicLong();

  @Override
  public long read() {
    return nanos.get();
  }

  /** Moves the clock forward. */
  public ManualTicker advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("a ticker does not go back: " + d);
    }
    nanos.addAndGet(d.toNanos());
    return this;
  }

  /**
   * A ticker that advances by {@code step} on every read, so each measured interval is a known non-zero
   * duration.
   */
  public static Ticker stepping(Duration step) {
    AtomicLong n = new AtomicLong();
    long s = step.toNanos();
    return () -> n.getAndAdd(s);
  }
}
