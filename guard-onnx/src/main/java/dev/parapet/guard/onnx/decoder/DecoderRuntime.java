package dev.parapet.guard.onnx.decoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.spi.Cancellation;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
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
    Outcome o = execute(past, p, new int[rows.length][0], true, cancellation, step);
    return o.cache;
  }

  /**
   * Runs {@code rows} on top of {@code past} and returns the logits at {@code positions} (per row, indices into
   * that row's tokens): {@code result[row][i]} is the full vocabulary logit vector after token
   * {@code positions[row][i]}. Nothing is committed: the suffix's KV is dropped.
   */
  float[][][] logits(KvCache past, long[][] rows, int[][] positions, Cancellation cancellation, String step) {
    Padded p = Padded.of(rows);
    Outcome o = execute(past, p, positions, false, cancellation, step);
    return o.logits;
  }

  private record Outcome(KvCache cache, float[][][] logits) {}

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

  private Outcome execute(KvCache past, Padded p, int[][] positions, boolean keep, Cancellation cancellation,
      String step) {
    int batch = p.ids.length;
    if (past.batch() != batch) {
      throw new IllegalArgumentException("past has " + past.batch() + " rows, input has " + batch);
    }
    float[][][] out = new float[batch][][];
    // padded columns whose logits are wanted
    Map<Integer, List<int[]>> wanted = new HashMap<>();
    int firstWanted = p.width;
    for (int b = 0; b < batch; b++) {
      out[b] = new float[positions[b].length][];
      for (int i = 0; i < positions[b].length; i++) {
        int col = p.pad[b] + positions[b][i];
        if (positions[b][i] < 0 || col >= p.width) {
          throw new IllegalArgumentException("logit position " + positions[b][i] + " outside row " + b);
        }
        wanted.computeIfAbsent(col, c -> new ArrayList<>()).add(new int[] {b, i});
        firstWanted = Math.min(firstWanted, col);
      }
    }
    if (p.width == 0) {
      return new Outcome(keep ? past.retain() : null, out);
    }
    // chunk boundaries: [0, firstWanted) then [firstWanted, width), each in chunks, so that logit-reading runs
    // are short
    List<int[]> chunks = new ArrayList<>();
    int chunk = chunkFor(batch);
    for (int s = 0; s < firstWanted; s += chunk) {
      chunks.add(new int[] {s, Math.min(firstWanted, s + chunk)});
    }
    for (int s = firstWanted; s < p.width; s += chunk) {
      chunks.add(new int[] {s, Math.min(p.width, s + chunk)});
    }
    // running mask over past + new columns
    long[] pastCount = new long[batch];
    for (int b = 0; b < batch; b++) {
      pastCount[b] = past.realLength(b);
    }
    KvCache current = past;
    try {
      for (int ci = 0; ci < chunks.size(); ci++) {
        int from = chunks.get(ci)[0];
        int to = chunks.get(ci)[1];
        boolean last = ci == chunks.size() - 1;
        boolean needLogits = false;
        for (int col = from; col < to && !needLogits; col++) {
          needLogits = wanted.containsKey(col);
        }
        boolean needKv = keep || !last;
        KvCache next = runChunk(current, p, from, to, pastCount, needLogits, needKv, wanted, out, cancellation,
            step + " (tokens " + from + "-" + to + " of " + p.width + ")");
        if (current != past) {
          current.close();
        }
        current = next;
      }
      KvCache result = keep ? current : null;
      if (!keep && current != past && current != null) {
        current.close();
      }
      current = null;
      return new Outcome(result, out);
    } finally {
      if (current != null && current != past) {
        current.close();
      }
    }
  }

  private KvCache runChunk(KvCache past, Padded p, int from, int to, long[] pastCount, boolean needLogits,
      boolean needKv, Map<Integer, List<int[]>> wanted, float[][][] out, Cancellation cancellation, String step) {
    int batch = p.ids.length;
    int n = to - from;
    int pastLen = past.length();
    int total = pastLen + n;
    long[] ids = new long[batch * n];
    long[] mask = new long[batch * total];
    long[] pos = new long[batch * n];
    long[][] newMask = new long[batch][total];
    for (int b = 0; b < batch; b++) {
      long[] pm = past.mask(b);
      System.arraycopy(pm, 0, newMask[b], 0, pastLen);
      long count = 0;
      for (long m : pm) {
        count += m;
      }
      for (int j = 0; j < n; j++) {
        long m = p.mask[b][from + j];
        newMask[b][pastLen + j] = m;
        ids[b * n + j] = p.ids[b][from + j];
        count += m;
        pos[b * n + j] = m == 1 ? count - 1 : 1; // pads: any valid position (as transformers does)
      }
      System.arraycopy(newMask[b], 0, mask, b * total, total);
    }
    Map<String, OnnxTensor> inputs = new HashMap<>();
    Set<String> outputs = new HashSet<>();
    if (needLogits) {
      outputs.add("logits");
    }
    if (needKv) {
      for (int l = 0; l < spec.layers(); l++) {
        outputs.add(ModelSpec.presentKey(l));
        outputs.add(ModelSpec.presentValue(l));
      }
    }
    if (outputs.isEmpty()) {
      outputs.add("logits"); // a run must fetch something
    }
    OrtSession.Result result = null;
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(OrtSessions.environment(), LongBuffer.wrap(ids),
          new long[] {batch, n}));
      inputs.put("attention_mask", OnnxTensor.createTensor(OrtSessions.environment(), LongBuffer.wrap(mask),
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
      result = OrtSessions.run(session, feeds, outputs, cancellation, step);
      if (needLogits) {
        readLogits(result, batch, n, from, to, wanted, out);
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

  private void readLogits(OrtSession.Result r, int batch, int n, int from, int to, Map<Integer, List<int[]>> wanted,
      float[][][] out) {
    OnnxValue v = r.get("logits").orElseThrow(() -> new ClassificationException("the model returned no logits"));
    if (!(v instanceof OnnxTensor t)) {
      throw new ClassificationException("logits is not a tensor");
    }
    long[] shape = t.getInfo().getShape();
    if (shape.length != 3 || shape[0] != batch || shape[1] != n || shape[2] != spec.vocab()) {
      throw new ClassificationException("logits has shape " + java.util.Arrays.toString(shape) + ", expected ["
          + batch + ", " + n + ", " + spec.vocab() + "]");
    }
    FloatBuffer fb = t.getFloatBuffer();
    if (fb == null) {
      throw new ClassificationException("cannot read logits of type " + t.getInfo().type);
    }
    int vocab = spec.vocab();
    for (int col = from; col < to; col++) {
      List<int[]> targets = wanted.get(col);
      if (targets == null) {
        continue;
      }
      for (int[] bi : targets) {
        float[] row = new float[vocab];
        fb.get(((bi[0] * n) + (col - from)) * vocab, row, 0, vocab);
        out[bi[0]][bi[1]] = row;
      }
    }
  }
}
