package dev.parapet.guard.onnx.decoder;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.onnx.internal.OrtSessions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The key/value tensors of every layer for a batch of rows, plus each row's attention mask (rows may be
 * left-padded, so each row has its own count of real positions; a cache without padding, such as a streaming
 * session's, keeps no mask array at all, so growing it by a few tokens allocates nothing that grows with its
 * length). Never mutated: extending a cache makes a new
 * one, which is how a scoring fork leaves the committed cache bitwise unchanged.
 *
 * <p>Owns native memory through {@code owner} (an ONNX Runtime result or tensors we created). Reference
 * counted so the prefix cache can hand one cache to several concurrent calls: {@link #retain()} before use,
 * {@link #close()} (= release) after; the memory is freed when the count reaches zero. Thread-safe for that;
 * the tensors themselves are only read.
 */
final class KvCache implements AutoCloseable {
  private final ModelSpec spec;
  private final int batch;
  private final int length;
  /** Per row, 1 for a real position and 0 for padding; null when every position of every row is real. */
  private final long[][] mask;
  private final OnnxTensor[] keys;
  private final OnnxTensor[] values;
  private final AutoCloseable owner;
  private final AtomicInteger refs = new AtomicInteger(1);
  // the direct buffers behind keys/values when this class made them (read in place); null for ORT outputs
  private final ByteBuffer[] keyBytes;
  private final ByteBuffer[] valueBytes;

  /** @param mask per row over the {@code length} positions, or null when no position is padding */
  KvCache(ModelSpec spec, int batch, int length, long[][] mask, OnnxTensor[] keys, OnnxTensor[] values,
      AutoCloseable owner) {
    this(spec, batch, length, mask, keys, values, owner, null, null);
  }

  private KvCache(ModelSpec spec, int batch, int length, long[][] mask, OnnxTensor[] keys, OnnxTensor[] values,
      AutoCloseable owner, ByteBuffer[] keyBytes, ByteBuffer[] valueBytes) {
    this.keyBytes = keyBytes;
    this.valueBytes = valueBytes;
    this.spec = spec;
    this.batch = batch;
    this.length = length;
    this.mask = mask;
    this.keys = keys;
    this.values = values;
    this.owner = owner;
  }

  /** An empty cache (length 0) for {@code batch} rows. */
  static KvCache empty(ModelSpec spec, int batch) {
    return fromBuffers(spec, batch, 0, null, new ByteBuffer[spec.layers()], new ByteBuffer[spec.layers()]);
  }

  int batch() {
    return batch;
  }

  int length() {
    return length;
  }

  /** Row {@code b}'s mask over the cached positions (1 real, 0 padding). A copy. */
  long[] mask(int b) {
    long[] m = new long[length];
    copyMask(b, m, 0);
    return m;
  }

  /** Whether no position of any row is padding (the mask is all ones and not stored). */
  boolean unpadded() {
    return mask == null;
  }

  /** Copies row {@code b}'s mask into {@code dst} at {@code offset} (no intermediate copy). */
  void copyMask(int b, long[] dst, int offset) {
    if (mask == null) {
      Arrays.fill(dst, offset, offset + length, 1L);
    } else {
      System.arraycopy(mask[b], 0, dst, offset, length);
    }
  }

  /** Copies row {@code b}'s mask into {@code dst} at index {@code offset} (no intermediate array). */
  void copyMask(int b, java.nio.LongBuffer dst, int offset) {
    if (mask == null) {
      for (int i = 0; i < length; i++) {
        dst.put(offset + i, 1L);
      }
    } else {
      dst.put(offset, mask[b]);
    }
  }

  /** Real (unpadded) positions of row {@code b}. */
  int realLength(int b) {
    if (mask == null) {
      return length;
    }
    int n = 0;
    for (long m : mask[b]) {
      n += (int) m;
    }
    return n;
  }

  OnnxTensor key(int layer) {
    checkLive();
    return keys[layer];
  }

  OnnxTensor value(int layer) {
    checkLive();
    return values[layer];
  }

  /** Adds a reference; returns this. */
  KvCache retain() {
    int r;
    do {
      r = refs.get();
      if (r <= 0) {
        throw new IllegalStateException("KV cache was already released");
      }
    } while (!refs.compareAndSet(r, r + 1));
    return this;
  }

  private void checkLive() {
    if (refs.get() <= 0) {
      throw new IllegalStateException("KV cache was already released");
    }
  }

  /** Releases one reference; frees the native memory with the last. Extra calls after that do nothing. */
  @Override
  public void close() {
    int r;
    do {
      r = refs.get();
      if (r <= 0) {
        return;
      }
    } while (!refs.compareAndSet(r, r - 1));
    if (r == 1) {
      try {
        owner.close();
      } catch (Exception e) {
        System.getLogger(KvCache.class.getName()).log(System.Logger.Level.WARNING, "closing KV cache failed", e);
      }
    }
  }

  /**
   * Stacks rows of several caches into one batch, left-padding shorter rows (pads get mask 0 and zero KV).
   * The sources are not changed or released.
   */
  static KvCache stack(ModelSpec spec, List<KvCache> parts) {
    int batch = 0;
    int len = 0;
    for (KvCache p : parts) {
      batch += p.batch;
      len = Math.max(len, p.length);
    }
    boolean unpadded = true;
    for (KvCache p : parts) {
      unpadded &= p.mask == null && p.length == len;
    }
    long[][] mask = unpadded ? null : new long[batch][len];
    int row = 0;
    for (KvCache p : parts) {
      for (int b = 0; b < p.batch && mask != null; b++, row++) {
        p.copyMask(b, mask[row], len - p.length);
      }
    }
    ByteBuffer[] k = new ByteBuffer[spec.layers()];
    ByteBuffer[] v = new ByteBuffer[spec.layers()];
    for (int l = 0; l < spec.layers(); l++) {
      k[l] = allocate(spec, batch, len);
      v[l] = allocate(spec, batch, len);
      int dest = 0;
      KvCache read = null; // one read of a cache repeated in parts (forks of one committed cache)
      ByteBuffer readK = null;
      ByteBuffer readV = null;
      for (KvCache p : parts) {
        if (p != read) {
          read = p;
          readK = p.keyBytes(l);
          readV = p.valueBytes(l);
        }
        copyRows(spec, readK, p.batch, p.length, 0, p.length, k[l], dest, len, len - p.length);
        copyRows(spec, readV, p.batch, p.length, 0, p.length, v[l], dest, len, len - p.length);
        dest += p.batch;
      }
    }
    return fromBuffers(spec, batch, len, mask, k, v);
  }

  /** A new cache holding the first {@code n} positions of every row. This cache is unchanged. */
  KvCache truncate(int n) {
    if (n < 0 || n > length) {
      throw new IllegalArgumentException("truncate length " + n + " outside [0, " + length + "]");
    }
    long[][] m = mask == null ? null : new long[batch][];
    for (int b = 0; b < batch && m != null; b++) {
      m[b] = Arrays.copyOf(mask[b], n);
    }
    ByteBuffer[] k = new ByteBuffer[spec.layers()];
    ByteBuffer[] v = new ByteBuffer[spec.layers()];
    for (int l = 0; l < spec.layers(); l++) {
      k[l] = allocate(spec, batch, n);
      v[l] = allocate(spec, batch, n);
      copyRows(spec, keyBytes(l), batch, length, 0, n, k[l], 0, n, 0);
      copyRows(spec, valueBytes(l), batch, length, 0, n, v[l], 0, n, 0);
    }
    return fromBuffers(spec, batch, n, m, k, v);
  }

  /** Copies of every layer's key and value bytes (for tests that compare caches bitwise). */
  byte[][] snapshot() {
    byte[][] out = new byte[2 * spec.layers()][];
    for (int l = 0; l < spec.layers(); l++) {
      out[2 * l] = toArray(keyBytes(l));
      out[2 * l + 1] = toArray(valueBytes(l));
    }
    return out;
  }

  private static byte[] toArray(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }

  /**
   * Layer {@code l}'s key bytes: the direct buffer itself for caches made here (stacked, truncated, empty), else
   * a copy (ONNX Runtime's own outputs have no public view; getBufferRef() throws for them in 1.29).
   */
  private ByteBuffer keyBytes(int l) {
    checkLive();
    return keyBytes != null ? keyBytes[l].duplicate().clear() : bytes(keys[l]);
  }

  private ByteBuffer valueBytes(int l) {
    checkLive();
    return valueBytes != null ? valueBytes[l].duplicate().clear() : bytes(values[l]);
  }

  private static ByteBuffer bytes(OnnxTensor t) {
    ByteBuffer b = t.getByteBuffer();
    if (b == null) {
      throw new ClassificationException("cannot read KV tensor bytes of type " + t.getInfo().type);
    }
    return b;
  }

  private static ByteBuffer allocate(ModelSpec spec, int batch, int len) {
    long n = (long) batch * spec.kvHeads() * len * spec.headDim() * spec.kvElementBytes();
    return ByteBuffer.allocateDirect(Math.toIntExact(n)).order(ByteOrder.nativeOrder());
  }

  /**
   * Copies positions [from, to) of {@code rows} source rows (shape [rows, kvh, srcLen, hd]) into destination rows
   * starting at {@code destRow} (shape [*, kvh, destLen, hd]) at position offset {@code destPos}.
   */
  private static void copyRows(ModelSpec spec, ByteBuffer src, int rows, int srcLen, int from, int to,
      ByteBuffer dest, int destRow, int destLen, int destPos) {
    int unit = spec.headDim() * spec.kvElementBytes();
    int heads = spec.kvHeads();
    int n = (to - from) * unit;
    if (n == 0) {
      return;
    }
    for (int r = 0; r < rows; r++) {
      for (int h = 0; h < heads; h++) {
        int s = ((r * heads + h) * srcLen + from) * unit;
        int d = (((destRow + r) * heads + h) * destLen + destPos) * unit;
        dest.put(d, src, s, n);
      }
    }
  }

  private static KvCache fromBuffers(ModelSpec spec, int batch, int len, long[][] mask, ByteBuffer[] k,
      ByteBuffer[] v) {
    OnnxTensor[] kt = new OnnxTensor[spec.layers()];
    OnnxTensor[] vt = new OnnxTensor[spec.layers()];
    long[] shape = {batch, spec.kvHeads(), len, spec.headDim()};
    OnnxJavaType type = spec.kvType();
    try {
      for (int l = 0; l < spec.layers(); l++) {
        ByteBuffer kb = k[l] != null ? k[l] : allocate(spec, batch, len);
        ByteBuffer vb = v[l] != null ? v[l] : allocate(spec, batch, len);
        k[l] = kb;
        v[l] = vb;
        kt[l] = OnnxTensor.createTensor(OrtSessions.environment(), kb, shape, type);
        vt[l] = OnnxTensor.createTensor(OrtSessions.environment(), vb, shape, type);
      }
    } catch (OrtException e) {
      closeAll(kt, vt);
      throw OrtSessions.runError("create KV cache tensors", e);
    }
    return new KvCache(spec, batch, len, mask, kt, vt, () -> closeAll(kt, vt), k, v);
  }

  private static void closeAll(OnnxTensor[] a, OnnxTensor[] b) {
    for (OnnxTensor t : a) {
      if (t != null) {
        t.close();
      }
    }
    for (OnnxTensor t : b) {
      if (t != null) {
        t.close();
      }
    }
  }
}
