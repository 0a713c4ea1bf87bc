package dev.parapet.guard;

/**
 * A snapshot of the result cache's counters. Immutable and thread-safe.
 *
 * @param hitCount lookups answered from the cache
 * @param missCount lookups that went to the classifier
 * @param evictionCount entries removed for size or age
 * @param estimatedSize entries held now (approximate, as Caffeine reports it)
 */
public record CacheStats(long hitCount, long missCount, long evictionCount, long estimatedSize) {
  /** The stats of a guard built with {@code noCache()}. */
  public static final CacheStats EMPTY = new CacheStats(0, 0, 0, 0);

  public CacheStats {
    if (hitCount < 0 || missCount < 0 || evictionCount < 0 || estimatedSize < 0) {
      throw new IllegalArgumentException("cache counters must not be negative");
    }
  }

  /** Lookups in total. */
  public long requestCount() {
    return hitCount + missCount;
  }

  /** hits / lookups, or 1.0 when there were no lookups (Caffeine's convention). */
  public double hitRate() {
    long n = requestCount();
    return n == 0 ? 1.0 : (double) hitCount / n;
  }
}
