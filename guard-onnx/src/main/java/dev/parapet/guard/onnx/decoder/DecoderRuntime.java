package dev.parapet.guard.onnx.decoder;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.spi.Cancellation;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs an exported decoder over a KV cache: chunked prefill that commits (returns a new cache), and scoring
 * runs that read logits at chosen positions and drop their own KV. Rows of a batch are left-padded; position
 * ids come from the attention mask (count of real positions before each token), so padding never shifts
 * positions. Thread-safe (ONNX Runtime sessions are; every call makes its own tensors).
 */
final class DecoderRuntime {
  private final OrtSession session;
  private final ModelSpec spec;
  private final int chunkTokens;
  private final long maxLogitsElements;

  /**
   * @param chunkTokens the most new tokens per run (prefill chunk)
   * @param maxLogitsElements bound on batch x chunk x vocab per run: the export computes logits for every input
   *     position, so the chunk shrinks for big batches and vocabularies
   */
  DecoderRuntime(OrtSession session, ModelSpec spec, int chunkTokens, long maxLogitsElements) {
    this.session = session;
    this.spec = spec;
    this.chunkTokens = chunkTokens;
    this.maxLogitsElements = maxLogitsElements;
  }

  ModelSpec spec() {
    return spec;
  }

  /** Tokens per run for a batch of {@code batch} rows. */
  int chunkFor(int batch) {
    long byLogits = maxLogitsElements / ((long) batch * spec.vocab());
    return (int) Math.max(1, Math.min(chunkTokens, byLogits));
  }

  /**
   * Extends {@code past} with one row of tokens per batch row (rows left-padded to the longest) and returns the
   * new cache; {@code past} is not changed or released.
   */
  KvCache extend(KvCache past, long[][] rows, Cancellation cancellation, String step) {
    Padded p = Padded.of(rows);
    checkBatch(past, p);
    if (p.width == 0) {
      return past.retain();
    }
    KvCache current = past;
    try {
      for (int[] c : chunks(p.width, p.width, p.ids.length)) {
        KvCache next = runChunk(current, p, c[0], c[1], Wanted.NONE, null, true, cancellation,
            step + " (tokens " + c[0] + "-" + c[1] + " of " + p.width + ")");
        release(current, past);
        current = next;
      }
      KvCache result = current;
      current = past; // handed to the caller
      return result;
    } finally {
      release(current, past);
    }
  }

  /**
   * Runs {@code rows} on top of {@code past} and returns the logits at {@code positions} (per row, indices into
   * that row's tokens): {@code result[row][i]} is the full vocabulary logit vector after token
   * {@code positions[row][i]}. Nothing is committed: the suffix's KV is dropped.
   */
  float[][][] logits(KvCache past, long[][] rows, int[][] positions, Cancellation cancellation, String step) {
    return logits(past, rows, positions, null, cancellation, step);
  }

  /**
   * Like {@link #logits(KvCache, long[][], int[][], Cancellation, String)}, but {@code result[row][i]} holds only
   * the logits of the token ids {@code select[row][i]}, in that order (a null {@code select} or entry: the full
   * vocabulary row). Scoring reads a handful of option ids per position; copying whole vocabulary rows
   * (128 KB each at a 32k vocabulary) made every streamed check allocate about a megabyte.
   */
  float[][][] logits(KvCache past, long[][] rows, int[][] positions, long[][][] select, Cancellation cancellation,
      String step) {
    Padded p = Padded.of(rows);
    checkBatch(past, p);
    Wanted wanted = Wanted.of(p, positions);
    if (p.width == 0) {
      return wanted.out;
    }
    // chunks: [0, firstWanted) then [firstWanted, width), so that the runs that read logits are short; the last
    // run's KV is never needed
    List<int[]> chunks = chunks(wanted.first, p.width, p.ids.length);
    KvCache current = past;
    try {
      for (int ci = 0; ci < chunks.size(); ci++) {
        int from = chunks.get(ci)[0];
        int to = chunks.get(ci)[1];
        KvCache next = runChunk(current, p, from, to, wanted, select, ci < chunks.size() - 1, cancellation,
            step + " (tokens " + from + "-" + to + " of " + p.width + ")");
        release(current, past);
        current = next;
      }
      return wanted.out;
    } finally {
      release(current, past);
    }
  }

  private static void checkBatch(KvCache past, Padded p) {
    if (past.batch() != p.ids.length) {
      throw new IllegalArgumentException("past has " + past.batch() + " rows, input has " + p.ids.length);
    }
  }

  /** Closes an intermediate cache (never the caller's {@code past}). */
  private static void release(KvCache current, KvCache past) {
    if (current != null && current != past) {
      current.close();
    }
  }

  /** Chunk boundaries [from, to): [0, split) then [split, width), each cut to {@link #chunkFor} tokens. */
  private List<int[]> chunks(int split, int width, int batch) {
    List<int[]> chunks = new ArrayList<>();
    int chunk = chunkFor(batch);
    for (int s = 0; s < split; s += chunk) {
      chunks.add(new int[] {s, Math.min(split, s + chunk)});
    }
    for (int s = split; s < width; s += chunk) {
      chunks.add(new int[] {s, Math.min(width, s + chunk)});
    }
    return chunks;
  }

  /** Rows left-padded to one width. */
  record Padded(long[][] ids, long[][] mask, int[] pad, int width) {
    static Padded of(long[][] rows) {
      int width = 0;
      for (long[] r : rows) {
        width = Math.max(width, r.length);
      }
      long[][] ids = new long[rows.length][width];
      long[][] mask = new long[rows.length][width];
      int[] pad = new int[rows.length];
      for (int b = 0; b < rows.length; b++) {
        pad[b] = width - rows[b].length;
        System.arraycopy(rows[b], 0, ids[b], pad[b], rows[b].length);
        for (int j = pad[b]; j < width; j++) {
          mask[b][j] = 1;
        }
      }
      return new Padded(ids, mask, pad, width);
    }
  }

  /**
   * The padded columns whose logits a scoring run reads ({@code byColumn}: column -> {row, index} targets), the
   * first of them, and the result array they fill.
   */
  private record Wanted(Map<Integer, List<int[]>> byColumn, int first, float[][][] out) {
    static final Wanted NONE = new Wanted(Map.of(), Integer.MAX_VALUE, new float[0][][]);

    static Wanted of(Padded p, int[][] positions) {
      int batch = p.ids.length;
      float[][][] out = new float[batch][][];
      Map<Integer, List<int[]>> wanted = new HashMap<>();
      int first = p.width;
      for (int b = 0; b < batch; b++) {
        out[b] = new float[positions[b].length][];
        for (int i = 0; i < positions[b].length; i++) {
          int col = p.pad[b] + positions[b][i];
          if (positions[b][i] < 0 || col >= p.width) {
            throw new IllegalArgumentException("logit position " + positions[b][i] + " outside row " + b);
          }
          wanted.computeIfAbsent(col, c -> new ArrayList<>()).add(new int[] {b, i});
          first = Math.min(first, col);
        }
      }
      return new Wanted(wanted, first, out);
    }

    boolean anyIn(int from, int to) {
      for (int col = from; col < to; col++) {
        if (byColumn.containsKey(col)) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * One run over padded columns [from, to) on top of {@code past}: reads the wanted logits there, and returns the
   * extended cache when {@code needKv} (else null).
   */
  private KvCache runChunk(KvCache past, Padded p, int from, int to, Wanted wanted, long[][][] select,
      boolean needKv, Cancellation cancellation, String step) {
    int batch = p.ids.length;
    boolean needLogits = wanted.anyIn(from, to);
    int n = to - from;
    int pastLen = past.length();
    int total = pastLen + n;
    long[] ids = new long[batch * n];
    long[] pos = new long[batch * n];
    // the attention mask spans past + new positions: it is written straight into native memory (a heap array
    // would be copied there by ONNX Runtime anyway), so a streaming check allocates no O(L) heap array for it
    LongBuffer mask = ByteBuffer.allocateDirect(Math.toIntExact((long) batch * total * Long.BYTES))
        .order(ByteOrder.nativeOrder()).asLongBuffer();
    boolean padded = !past.unpadded();
    for (int b = 0; b < batch; b++) {
      int row = b * total;
      past.copyMask(b, mask, row);
      long count = past.realLength(b);
      for (int j = 0; j < n; j++) {
        long m = p.mask[b][from + j];
        mask.put(row + pastLen + j, m);
        padded |= m == 0;
        ids[b * n + j] = p.ids[b][from + j];
        count += m;
        pos[b * n + j] = m == 1 ? count - 1 : 1; // pads: any valid position (as transformers does)
      }
    }
    // the new cache keeps a mask only when some position is padding (stacked batches); one unpadded row, as in
    // streaming, keeps none
    long[][] newMask = null;
    if (needKv && padded) {
      newMask = new long[batch][total];
      for (int b = 0; b < batch; b++) {
        mask.get(b * total, newMask[b]);
      }
    }
    Map<String, OnnxTensor> inputs = new HashMap<>();
    Set<String> outputs = new HashSet<>();
    if (needKv) {
      for (int l = 0; l < spec.layers(); l++) {
        outputs.add(ModelSpec.presentKey(l));
        outputs.add(ModelSpec.presentValue(l));
      }
    }
    if (outputs.isEmpty() && !needLogits) {
      outputs.add("logits"); // a run must fetch something
    }
    OrtSession.Result result = null;
    OnnxTensor logits = null;
    ByteBuffer logitsBytes = null;
    try {
      Map<String, OnnxTensor> pinned = new HashMap<>();
      if (needLogits) {
        // ONNX Runtime writes the logits into our own direct buffer: only the wanted rows are read from it, with no
        // heap copy of the whole [batch, n, vocab] output (OnnxTensor.getFloatBuffer() copies all of it)
        logitsBytes = ByteBuffer.allocateDirect(Math.toIntExact((long) batch * n * spec.vocab()
            * logitsElementBytes())).order(ByteOrder.nativeOrder());
        logits = OnnxTensor.createTensor(OrtSessions.environment(), logitsBytes, new long[] {batch, n, spec.vocab()},
            spec.logitsType());
        pinned.put("logits", logits);
      }
      inputs.put("input_ids", OnnxTensor.createTensor(OrtSessions.environment(), LongBuffer.wrap(ids),
          new long[] {batch, n}));
      inputs.put("attention_mask", OnnxTensor.createTensor(OrtSessions.environment(), mask,
          new long[] {batch, total}));
      if (spec.hasPositionIds()) {
        inputs.put("position_ids", OnnxTensor.createTensor(OrtSessions.environment(), LongBuffer.wrap(pos),
            new long[] {batch, n}));
      }
      if (spec.hasUseCacheBranch()) {
        inputs.put("use_cache_branch", OnnxTensor.createTensor(OrtSessions.environment(),
            new boolean[] {pastLen > 0}));
      }
      Map<String, OnnxTensor> feeds = new HashMap<>(inputs);
      for (int l = 0; l < spec.layers(); l++) {
        feeds.put(ModelSpec.pastKey(l), past.key(l));
        feeds.put(ModelSpec.pastValue(l), past.value(l));
      }
      result = OrtSessions.run(session, feeds, outputs, pinned, cancellation, step);
      if (needLogits) {
        readLogits(logitsBytes, n, from, to, wanted.byColumn(), select, wanted.out());
      }
      if (!needKv) {
        return null;
      }
      OnnxTensor[] k = new OnnxTensor[spec.layers()];
      OnnxTensor[] v = new OnnxTensor[spec.layers()];
      for (int l = 0; l < spec.layers(); l++) {
        k[l] = presentTensor(result, ModelSpec.presentKey(l));
        v[l] = presentTensor(result, ModelSpec.presentValue(l));
      }
      KvCache c = new KvCache(spec, batch, total, newMask, k, v, result);
      result = null; // owned by the cache now
      return c;
    } catch (OrtException e) {
      throw OrtSessions.runError(step, e);
    } finally {
      if (result != null) {
        result.close();
      }
      if (logits != null) {
        logits.close();
      }
      for (OnnxTensor t : inputs.values()) {
        t.close();
      }
    }
  }

  private static OnnxTensor presentTensor(OrtSession.Result r, String name) {
    OnnxValue v = r.get(name).orElseThrow(() -> new ClassificationException("the model returned no " + name));
    if (!(v instanceof OnnxTensor t)) {
      throw new ClassificationException(name + " is not a tensor");
    }
    return t;
  }

  private int logitsElementBytes() {
    return switch (spec.logitsType()) {
      case FLOAT -> 4;
      case FLOAT16, BFLOAT16 -> 2;
      default -> throw new ClassificationException("cannot read logits of type " + spec.logitsType()
          + "; export the model with float32 or float16 logits");
    };
  }

  /**
   * Copies the logits at the wanted columns out of {@code bytes} (the [batch, n, vocab] logits of one run): the
   * selected ids only where {@code select} names them, else the whole vocabulary row; nothing else is read.
   */
  private void readLogits(ByteBuffer bytes, int n, int from, int to, Map<Integer, List<int[]>> wanted,
      long[][][] select, float[][][] out) {
    int vocab = spec.vocab();
    OnnxJavaType type = spec.logitsType();
    FloatBuffer floats = type == OnnxJavaType.FLOAT ? bytes.asFloatBuffer() : null;
    ShortBuffer halves = type == OnnxJavaType.FLOAT ? null : bytes.asShortBuffer();
    for (int col = from; col < to; col++) {
      List<int[]> targets = wanted.get(col);
      if (targets == null) {
        continue;
      }
      for (int[] bi : targets) {
        int at = ((bi[0] * n) + (col - from)) * vocab;
        long[] ids = select == null ? null : select[bi[0]][bi[1]];
        float[] row;
        if (ids != null) {
          row = new float[ids.length];
          for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= vocab) {
              throw new IllegalArgumentException("token id " + ids[j] + " outside the vocabulary of " + vocab);
            }
            row[j] = floats != null ? floats.get(at + (int) ids[j]) : half(halves.get(at + (int) ids[j]), type);
          }
        } else {
          row = new float[vocab];
          if (floats != null) {
            floats.get(at, row, 0, vocab);
          } else {
            for (int v = 0; v < vocab; v++) {
              row[v] = half(halves.get(at + v), type);
            }
          }
        }
        out[bi[0]][bi[1]] = row;
      }
    }
  }

  private static float half(short h, OnnxJavaType type) {
    return type == OnnxJavaType.FLOAT16 ? Fp16Conversions.fp16ToFloat(h) : Fp16Conversions.bf16ToFloat(h);
  }
}
