package dev.parapet.guard.onnx.encoder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.spi.Cancellation;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The loaded encoder: one ONNX Runtime session (shared; {@code run} is thread-safe), the content tokenizer, the
 * manifest settings. Thread-safe; owns the session and the tokenizer and closes both (idempotent).
 *
 * <p><b>Batching and determinism.</b> A dynamically quantized int8 model (ONNX Runtime's
 * {@code DynamicQuantizeLinear}) picks one activation scale per tensor, i.e. per batch: a row's result then
 * depends on the other rows and on padding. Since a {@code Classifier} must be pure, {@link #load} probes the
 * model once (a row alone vs. the same row padded next to a longer one) and batches rows only when the results
 * agree to 1e-5; otherwise every row runs alone (the probe's verdict is {@link #batchInvariant}).
 *
 * <p><b>Closing under load.</b> Freeing the ONNX Runtime session or the native tokenizer while a call is inside
 * them crashes the JVM (SIGSEGV). So every use holds a {@link #lease()}; {@link #close()} refuses new leases,
 * terminates the native runs in progress ({@code RunOptions.setTerminate}, through {@link #run}'s
 * cancellation) and frees the native objects when the last lease is returned, on that lease's thread.
 */
final class EncoderModel implements AutoCloseable {
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String TOKEN_TYPE_IDS = "token_type_ids";
  static final String LOGITS = "logits";
  static final String EMBEDDING = "embedding";
  /** Most rows per batched run, and most padded tokens per batched run. */
  static final int MAX_ROWS = 32;
  static final int MAX_BATCH_TOKENS = 4096;
  /** Fixed cost of one ONNX Runtime call in padded-token equivalents (see {@link #cost}). */
  static final int CALL_OVERHEAD_TOKENS = 16;

  final EncoderConfig config;
  final Layout layout;
  final ContentTokenizer tokenizer;
  final Device device;
  final boolean batchInvariant;
  final int embeddingDim;
  private final OrtSessions.Opened opened;
  private final boolean hasTokenTypes;
  private final long padId;
  /** Set by close(): terminates every native run in progress. */
  private final Cancellation closing = Cancellation.create();
  private volatile boolean closed; // written under this
  private int leases; // guarded by this
  private boolean freed; // guarded by this

  /** One use of the model (see {@link #lease()}), held by one thread; closing it is idempotent. */
  interface Lease extends AutoCloseable {
    @Override
    void close();
  }

  /** Per row of a run: raw logits (one per label) and the pooled, L2-normalized embedding. */
  record Outputs(float[][] logits, float[][] embeddings) {}

  private EncoderModel(EncoderConfig config, ContentTokenizer tokenizer, OrtSessions.Opened opened, String source) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.opened = opened;
    this.device = opened.device();
    long cls = requiredToken(tokenizer, "[CLS]", source);
    long sep = requiredToken(tokenizer, "[SEP]", source);
    this.padId = tokenizer.tokenId("[PAD]").orElse(0L);
    this.layout = new Layout(cls, sep, config.maxTokens, config.promptTokensInResponse);
    OrtSession s = opened.session();
    try {
      Set<String> inputs = s.getInputNames();
      for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
        if (!inputs.contains(required)) {
          throw new ModelLoadException(source + ": model input \"" + required + "\" is missing; expected inputs "
              + List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS) + ", actual " + inputs
              + ". Export the encoder with the parapet-encoder recipe");
        }
      }
      this.hasTokenTypes = inputs.contains(TOKEN_TYPE_IDS);
      Map<String, NodeInfo> outputs = s.getOutputInfo();
      if (!outputs.containsKey(LOGITS) || !outputs.containsKey(EMBEDDING)) {
        throw new ModelLoadException(source + ": model outputs must include \"" + LOGITS + "\" [batch, "
            + config.labels.size() + "] and \"" + EMBEDDING + "\" [batch, dim]; actual outputs "
            + outputs.keySet() + ". Export the encoder with the parapet-encoder recipe");
      }
      long[] logitsShape = ((TensorInfo) outputs.get(LOGITS).getInfo()).getShape();
      if (logitsShape.length != 2 || (logitsShape[1] > 0 && logitsShape[1] != config.labels.size())) {
        throw new ModelLoadException(source + ": output \"logits\" has shape " + java.util.Arrays.toString(logitsShape)
            + ", expected [batch, " + config.labels.size() + "] (one per label " + config.labels + ")");
      }
      long[] embShape = ((TensorInfo) outputs.get(EMBEDDING).getInfo()).getShape();
      if (embShape.length != 2) {
        throw new ModelLoadException(source + ": output \"embedding\" has shape "
            + java.util.Arrays.toString(embShape) + ", expected [batch, dim]");
      }
    } catch (OrtException e) {
      throw OrtSessions.loadError("read the inputs and outputs of " + source, e);
    }
    Outputs probe = probe();
    this.embeddingDim = probe.embeddings()[0].length;
    this.batchInvariant = probeBatchInvariance();
  }

  static EncoderModel open(EncoderConfig config, ContentTokenizer tokenizer, OrtSessions.Opened opened,
      String source) {
    try {
      return new EncoderModel(config, tokenizer, opened, source);
    } catch (RuntimeException e) {
      opened.close();
      tokenizer.close();
      throw e;
    }
  }

  private static long requiredToken(ContentTokenizer tok, String token, String source) {
    return tok.tokenId(token).orElseThrow(() -> new ModelLoadException(source + ": tokenizer.json has no "
        + token + " token; the encoder needs a BERT WordPiece tokenizer with [CLS] and [SEP]"));
  }

  private Outputs probe() {
    Outputs o = runRows(List.of(layout.promptCheck(tokenizer.encodeContent("hello")).get(0)), true,
        Cancellation.create());
    if (o.logits()[0].length != config.labels.size()) {
      throw new ModelLoadException("model output \"logits\" has " + o.logits()[0].length + " values per row,"
          + " expected " + config.labels.size() + " (one per label " + config.labels + ")");
    }
    return o;
  }

  private boolean probeBatchInvariance() {
    Layout.Seq a = layout.promptCheck(tokenizer.encodeContent("how do i bake bread?")).get(0);
    Layout.Seq b = layout.promptCheck(tokenizer.encodeContent(
        "a considerably longer probe sentence, so that the first row needs padding; it also has"
        + " other words and numbers 12345 to change the range of the activations")).get(0);
    Outputs alone = runRows(List.of(a), true, Cancellation.create());
    Outputs batched = runRows(List.of(a, b), true, Cancellation.create());
    return maxAbsDiff(alone.logits()[0], batched.logits()[0]) < 1e-5
        && maxAbsDiff(alone.embeddings()[0], batched.embeddings()[0]) < 1e-5;
  }

  private static double maxAbsDiff(float[] x, float[] y) {
    double m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs(x[i] - y[i]));
    }
    return m;
  }

  /**
   * Runs rows and returns their outputs in the order given. Rows are sorted by length and grouped into batches
   * (when the model is batch-invariant) so padding stays small.
   */
  Outputs run(List<Layout.Seq> rows, Cancellation cancellation) {
    try (Lease lease = lease()) {
      return runLeased(rows, cancellation);
    }
  }

  private Outputs runLeased(List<Layout.Seq> rows, Cancellation cancellation) {
    float[][] logits = new float[rows.size()][];
    float[][] emb = new float[rows.size()][];
    int[] lengths = rows.stream().mapToInt(Layout.Seq::length).toArray();
    for (int[] group : groups(lengths, batchInvariant)) {
      List<Layout.Seq> batch = new ArrayList<>(group.length);
      for (int i : group) {
        batch.add(rows.get(i));
      }
      cancellation.throwIfCancelled();
      Outputs o = runRows(batch, false, cancellation);
      for (int k = 0; k < group.length; k++) {
        logits[group[k]] = o.logits()[k];
        emb[group[k]] = o.embeddings()[k];
      }
    }
    return new Outputs(logits, emb);
  }

  /**
   * Splits row indices into ONNX Runtime calls: one row per call unless {@code batching}; else rows sorted by
   * length and cut into consecutive groups of at most {@link #MAX_ROWS} rows and {@link #MAX_BATCH_TOKENS}
   * padded tokens, choosing the cuts that minimise {@link #cost}: every row is padded to its group's longest,
   * so one large group of mixed lengths wastes work on padding, while every extra call costs a fixed overhead.
   * (Greedy "fill each group to the limit" lost to 32 single calls: 0.87x throughput on mixed-length prompts.)
   */
  static List<int[]> groups(int[] lengths, boolean batching) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
    int n = order.length;
    // best[j]: least cost of the first j sorted rows; cut[j]: where the last group of that optimum starts.
    // Sorted ascending, a group [i, j) is padded to lengths[order[j - 1]]; O(n * MAX_ROWS).
    long[] best = new long[n + 1];
    int[] cut = new int[n + 1];
    for (int j = 1; j <= n; j++) {
      best[j] = Long.MAX_VALUE;
      int longest = lengths[order[j - 1]];
      int minStart = batching ? Math.max(0, j - MAX_ROWS) : j - 1;
      for (int i = j - 1; i >= minStart; i--) {
        int rows = j - i;
        if (rows > 1 && (long) rows * longest > MAX_BATCH_TOKENS) {
          break;
        }
        long c = best[i] + cost(rows, longest);
        if (c < best[j]) {
          best[j] = c;
          cut[j] = i;
        }
      }
    }
    List<int[]> out = new ArrayList<>();
    for (int j = n; j > 0; j = cut[j]) {
      int[] g = new int[j - cut[j]];
      for (int k = cut[j]; k < j; k++) {
        g[k - cut[j]] = order[k];
      }
      out.add(g);
    }
    java.util.Collections.reverse(out);
    return out;
  }

  /**
   * Relative cost of one ONNX Runtime call over {@code rows} rows padded to {@code longest} tokens, in units of
   * one token's work: a fixed {@link #CALL_OVERHEAD_TOKENS} per call plus one per padded token. Measured on the
   * default model with 2 intra-op threads (2-core x86): about 3 ms per call plus 0.19 ms per padded token over
   * batch sizes 1-32 and lengths 8-128 (attention's quadratic term is small at <= 128 tokens).
   */
  static long cost(int rows, int longest) {
    return CALL_OVERHEAD_TOKENS + (long) rows * longest;
  }

  /** One ONNX Runtime call over rows padded to the longest (tests use it to check the batch-invariance probe). */
  Outputs runRows(List<Layout.Seq> rows, boolean loading, Cancellation cancellation) {
    int b = rows.size();
    int t = 0;
    for (Layout.Seq s : rows) {
      t = Math.max(t, s.length());
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    long[] types = new long[b * t];
    java.util.Arrays.fill(ids, padId);
    for (int r = 0; r < b; r++) {
      Layout.Seq s = rows.get(r);
      System.arraycopy(s.ids(), 0, ids, r * t, s.length());
      System.arraycopy(s.typeIds(), 0, types, r * t, s.length());
      java.util.Arrays.fill(mask, r * t, r * t + s.length(), 1L);
    }
    long[] shape = {b, t};
    OrtEnvironment env = OrtSessions.environment();
    String step = "encoder forward pass (" + b + " x " + t + " tokens)";
    try (OnnxTensor idsT = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
        OnnxTensor maskT = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
        OnnxTensor typesT = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)) {
      Map<String, OnnxTensor> inputs = new HashMap<>();
      inputs.put(INPUT_IDS, idsT);
      inputs.put(ATTENTION_MASK, maskT);
      if (hasTokenTypes) {
        inputs.put(TOKEN_TYPE_IDS, typesT);
      }
      // One signal for the caller's cancellation and close(), so either terminates the native run.
      Cancellation run = Cancellation.create();
      try (Cancellation.Registration byCaller = cancellation.onCancel(run::cancel);
          Cancellation.Registration byClose = closing.onCancel(run::cancel);
          OrtSession.Result r = OrtSessions.run(opened.session(), inputs,
              new LinkedHashSet<>(List.of(LOGITS, EMBEDDING)), run, step)) {
        return new Outputs(rowsOf(r, LOGITS, b), rowsOf(r, EMBEDDING, b));
      }
    } catch (OrtException e) {
      if (loading) {
        throw OrtSessions.loadError("probe run of the encoder", e);
      }
      throw OrtSessions.runError(step, e);
    } catch (ClassificationException e) {
      if (loading) {
        throw new ModelLoadException("probe run of the encoder failed: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  private static float[][] rowsOf(OrtSession.Result r, String name, int b) {
    OnnxValue v = r.get(name).orElseThrow(
        () -> new ClassificationException("the encoder returned no \"" + name + "\" output"));
    if (!(v instanceof OnnxTensor tensor)) {
      throw new ClassificationException("encoder output \"" + name + "\" is not a tensor");
    }
    long[] shape = tensor.getInfo().getShape();
    if (shape.length != 2 || shape[0] != b) {
      throw new ClassificationException("encoder output \"" + name + "\" has shape "
          + java.util.Arrays.toString(shape) + ", expected [" + b + ", n]");
    }
    FloatBuffer fb = tensor.getFloatBuffer();
    int n = (int) shape[1];
    float[][] out = new float[b][n];
    for (int i = 0; i < b; i++) {
      fb.get(out[i]);
    }
    return out;
  }

  /**
   * A use of the session and tokenizer; they stay alive until it is closed.
   *
   * @throws IllegalStateException when the model is closed
   */
  Lease lease() {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the encoder classifier is closed");
      }
      leases++;
    }
    return new Lease() {
      private boolean returned;

      @Override
      public void close() {
        if (!returned) {
          returned = true;
          release();
        }
      }
    };
  }

  private void release() {
    boolean free;
    synchronized (this) {
      leases--;
      free = closed && leases == 0 && !freed;
      freed |= free;
    }
    if (free) {
      freeNative();
    }
  }

  boolean isClosed() {
    return closed;
  }

  /** Leases still held (for tests). */
  synchronized int leases() {
    return leases;
  }

  @Override
  public void close() {
    boolean free;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      free = leases == 0;
      freed |= free;
    }
    closing.cancel(); // terminates runs in progress; the last lease to return frees the native objects
    if (free) {
      freeNative();
    }
  }

  private void freeNative() {
    try {
      opened.close();
    } finally {
      tokenizer.close();
    }
  }
}
