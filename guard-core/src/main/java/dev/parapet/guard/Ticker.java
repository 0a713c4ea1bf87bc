package dev.parapet.guard;

/**
 * A source of nanosecond time for latency measurement, injectable so tests can control it. Implementations must
 * be thread-safe: a shared {@link Guard} reads it from many threads.
 */
@FunctionalInterface
public interface Ticker {
  /** Nanoseconds since an arbitrary origin; only differences are meaningful. */
  long read();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
