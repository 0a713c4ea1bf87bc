package dev.parapet.guard.onnx.decoder;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A bounded LRU of policy-prefix KV caches, keyed by the prefix's token ids (which are fixed by the model
 * family, taxonomy and target; the cache belongs to one loaded model). Evicted entries are released, and their
 * native memory is freed once no running call still holds them. Thread-safe.
 */
final class PrefixCache implements AutoCloseable {
  private final int maxEntries;
  private final LinkedHashMap<Key, KvCache> map = new LinkedHashMap<>(16, 0.75f, true);
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private boolean closed;

  private record Key(long[] ids, int hash) {
    static Key of(long[] ids) {
      return new Key(ids.clone(), Arrays.hashCode(ids));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && Arrays.equals(k.ids, ids);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  PrefixCache(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /**
   * The KV cache of {@code ids}, computed with {@code compute} on a miss; the caller owns one reference and
   * must close it.
   */
  KvCache acquire(long[] ids, Supplier<KvCache> compute) {
    Key key = Key.of(ids);
    synchronized (this) {
      checkOpen();
      KvCache hit = map.get(key);
      if (hit != null) {
        hits.incrementAndGet();
        return hit.retain();
      }
    }
    misses.incrementAndGet();
    KvCache computed = compute.get();
    if (maxEntries == 0) {
      return computed;
    }
    synchronized (this) {
      if (closed) {
        return computed; // caller's reference only; freed when the caller closes it
      }
      KvCache raced = map.get(key);
      if (raced != null) {
        computed.close();
        return raced.retain();
      }
      map.put(key, computed.retain()); // one reference for the map, one for the caller
      Iterator<Map.Entry<Key, KvCache>> it = map.entrySet().iterator();
      while (map.size() > maxEntries && it.hasNext()) {
        KvCache evicted = it.next().getValue();
        it.remove();
        evicted.close();
      }
      return computed;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("prefix cache is closed");
    }
  }

  long hits() {
    return hits.get();
  }

  long misses() {
    return misses.get();
  }

  synchronized int size() {
    return map.size();
  }

  /** Releases every entry. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      map.values().forEach(KvCache::close);
      map.clear();
    }
  }
}
