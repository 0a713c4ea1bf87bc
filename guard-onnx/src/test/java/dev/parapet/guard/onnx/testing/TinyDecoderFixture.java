package dev.parapet.guard.onnx.testing;

import static dev.parapet.guard.onnx.testing.OnnxGraph.FLOAT;
import static dev.parapet.guard.onnx.testing.OnnxGraph.INT64;
import static dev.parapet.guard.onnx.testing.OnnxGraph.attrInt;
import static dev.parapet.guard.onnx.testing.OnnxGraph.attrInts;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.onnx.ModelManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weight Llama-like decoder as an ONNX model folder, the way Hugging Face Optimum's
 * {@code text-generation-with-past} export lays it out: {@code model.onnx} (plus {@code model.onnx.data} with
 * external data), {@code tokenizer.json}, {@code config.json} and our {@code parapet-model.json}.
 *
 * <p>The graph has Optimum's exact I/O: inputs {@code input_ids} [batch, seq], {@code attention_mask}
 * [batch, past+seq], {@code position_ids} [batch, seq], {@code past_key_values.{i}.key|value}
 * [batch, kv_heads, past, head_dim]; outputs {@code logits} [batch, seq, vocab] and
 * {@code present.{i}.key|value}. Inside: token embedding, per layer RMSNorm, grouped-query attention with
 * rotary position embeddings (rotate-half form, as in Llama), a causal + padding mask built from
 * {@code attention_mask}, and a SiLU-gated MLP; a final RMSNorm and an LM head. Options model the real
 * families' differences (see {@link Config}): an attention width other than the hidden size and q/k norms
 * (Qwen3), tied embeddings (Llama 3.2 1B, Qwen3 0.6B, Gemma 2), Gemma 2's embedding scale, GeGLU, sandwich
 * norms and soft-caps; fp32 with external data (over protobuf's 2 GB) or int4 {@code MatMulNBits} weights.
 *
 * <p>Reusable at any size (the benchmarks build real families' shapes: billions of weights, written as they
 * are drawn); weights come from a seeded generator, so the same config writes the same bytes.
 */
public final class TinyDecoderFixture {

  /**
   * What to build.
   *
   * @param layers decoder layers
   * @param hidden hidden size (the residual stream's width)
   * @param heads query heads
   * @param kvHeads key/value heads (GQA: heads must be a multiple)
   * @param headDim size of one head; the attention width {@code heads x headDim} may differ from {@code hidden}
   *     (Qwen3-0.6B: 16 x 128 = 2048 against hidden 1024), the q/o projections map between the two
   * @param intermediate MLP width
   * @param vocabSize vocabulary size of the tokenizer and the LM head
   * @param family the {@code family} written into parapet-model.json
   * @param seed weight seed
   * @param seedTexts texts whose pieces the tokenizer must know (prompt templates, test sentences)
   * @param inputNamePrefix normally {@code past_key_values}; tests change it to produce a broken export
   * @param logitsVocab the LM head's width; normally {@code vocabSize}, tests change it for a vocab mismatch
   * @param float16 KV cache inputs/outputs and logits in float16 (computation stays float32 inside), like an
   *     fp16 export's I/O
   * @param int4 weight-quantized form that ONNX Runtime runs on CPU, as int4 exports for CPU are built: every
   *     projection and the LM head as {@code com.microsoft:MatMulNBits} (4-bit weights, blocks of 32, one float
   *     scale per block, absmax / 7, default zero point 8, accuracy level 4), the token embedding in float16;
   *     activations stay float32. The weights are the fp32 twin's (same config without int4) quantized, so the
   *     two forms' logits can be compared
   * @param qkNorm Qwen3's per-head RMSNorm of queries and keys (over head_dim, before the rotary embedding)
   * @param tiedEmbeddings the LM head is the token embedding: in fp32 one tensor, read by {@code Gather} and by
   *     {@code Gemm(transB=1)}; in the int4 form the same values stored twice (fp16 for the lookup, int4 for the
   *     head), as int4 CPU exports of tied models do
   * @param gemma Gemma 2's specifics: embedding scaled by sqrt(hidden), GeGLU MLP (tanh-approximated GELU gate),
   *     "sandwich" norms (RMSNorm after attention and after the MLP, before each residual add, besides the two
   *     pre-norms), attention-logit soft-cap 50 and final-logit soft-cap 30 ({@code cap * tanh(x / cap)}). Not
   *     modelled: the sliding window of every other layer (4,096 tokens: no effect below that length) and the
   *     {@code 1 + w} form of Gemma's norm weights (random weights either way)
   * @param externalData initializers of 1 MiB and more go to {@code model.onnx.data} beside {@code model.onnx}
   *     (ONNX external data: how exports over protobuf's 2 GB limit are stored), written as they are generated
   * @param omittedOutputs graph outputs left out (tests build broken exports with it); normally empty
   */
  public record Config(int layers, int hidden, int heads, int kvHeads, int headDim, int intermediate,
      int vocabSize, String family, long seed, List<String> seedTexts, String inputNamePrefix, int logitsVocab,
      boolean float16, boolean int4, boolean qkNorm, boolean tiedEmbeddings, boolean gemma, boolean externalData,
      List<String> omittedOutputs) {
    public Config {
      requireNonNull(family, "family");
      seedTexts = List.copyOf(requireNonNull(seedTexts, "seedTexts"));
      requireNonNull(inputNamePrefix, "inputNamePrefix");
      omittedOutputs = List.copyOf(requireNonNull(omittedOutputs, "omittedOutputs"));
      if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || headDim < 2 || headDim % 2 != 0) {
        throw new IllegalArgumentException("need heads % kvHeads == 0 and an even head dim; got " + heads + "/"
            + kvHeads + " heads of " + headDim);
      }
      if (tiedEmbeddings && logitsVocab != vocabSize) {
        throw new IllegalArgumentException("tied embeddings need logitsVocab == vocabSize; got " + logitsVocab
            + " and " + vocabSize);
      }
    }

    /** 2 layers, hidden 32, 4 heads, 2 KV heads, MLP 64, vocab 600. */
    public static Config tiny(String family) {
      return new Config(2, 32, 4, 2, 8, 64, 600, family, 42, List.of(), "past_key_values", 600, false, false,
          false, false, false, false, List.of());
    }

    /** The attention width, {@code heads x headDim}. */
    public int attentionWidth() {
      return heads * headDim;
    }

    public Config withSeedTexts(List<String> texts) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed, texts,
          inputNamePrefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    /** New sizes with {@code headDim = hidden / heads} (see {@link #withHeadDim} for other widths). */
    public Config withSize(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocabSize) {
      if (hidden % heads != 0) {
        throw new IllegalArgumentException("hidden " + hidden + " is not a multiple of heads " + heads
            + "; set the head size with withHeadDim");
      }
      return new Config(layers, hidden, heads, kvHeads, hidden / heads, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, vocabSize, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withHeadDim(int d) {
      return new Config(layers, hidden, heads, kvHeads, d, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withSeed(long newSeed) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, newSeed,
          seedTexts, inputNamePrefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withInputNamePrefix(String prefix) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, prefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withFloat16(boolean f16) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, logitsVocab, f16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withInt4(boolean q) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, logitsVocab, float16, q, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withQkNorm(boolean on) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, logitsVocab, float16, int4, on, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    public Config withTiedEmbeddings(boolean on) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, on ? vocabSize : logitsVocab, float16, int4, qkNorm, on, gemma,
          externalData, omittedOutputs);
    }

    public Config withGemma(boolean on) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, on, externalData,
          omittedOutputs);
    }

    public Config withExternalData(boolean on) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, gemma, on,
          omittedOutputs);
    }

    /** Leaves the named graph outputs out (a broken export, for the load checks' tests). */
    public Config withOmittedOutputs(List<String> names) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, logitsVocab, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          names);
    }

    public Config withLogitsVocab(int v) {
      return new Config(layers, hidden, heads, kvHeads, headDim, intermediate, vocabSize, family, seed,
          seedTexts, inputNamePrefix, v, float16, int4, qkNorm, tiedEmbeddings, gemma, externalData,
          omittedOutputs);
    }

    /** Bytes of the weights as written (what the model files and, roughly, resident weights cost). */
    public long weightBytes() {
      long attn = attentionWidth();
      long kv = (long) kvHeads * headDim;
      long proj = (long) layers * (2L * hidden * attn + 2L * hidden * kv + 3L * hidden * intermediate);
      long lmHead = (long) hidden * logitsVocab;
      long embed = (long) vocabSize * hidden;
      if (int4) {
        return (proj + lmHead) / 2 + (proj + lmHead) / 32 * 4 + embed * 2;
      }
      return (proj + (tiedEmbeddings ? 0 : lmHead) + embed) * 4;
    }
  }

  private TinyDecoderFixture() {}

  /**
   * Writes the model folder and returns the tokenizer's token-to-id map.
   *
   * @param extraManifest extra parapet-model.json keys (for example {@code "taxonomy"})
   */
  public static Map<String, Integer> write(Path dir, Config config, Map<String, Object> extraManifest) {
    requireNonNull(dir, "dir");
    requireNonNull(config, "config");
    try {
      Files.createDirectories(dir);
      Map<String, Integer> vocab =
          TinyTokenizerJson.write(dir.resolve("tokenizer.json"), config.seedTexts(), config.vocabSize());
      OnnxGraph graph = graph(config, config.externalData() ? dir.resolve(EXTERNAL_DATA) : null);
      try (java.io.OutputStream out = new java.io.BufferedOutputStream(
          Files.newOutputStream(dir.resolve("model.onnx")), 1 << 20)) {
        graph.writeTo(out);
      }
      Files.write(dir.resolve("config.json"), configJson(config));
      ModelManifest.create(dir, config.family(), extraManifest);
      return vocab;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The external data file's name (beside model.onnx) when {@link Config#externalData()} is set. */
  public static final String EXTERNAL_DATA = "model.onnx.data";

  public static Map<String, Integer> write(Path dir, Config config) {
    return write(dir, config, Map.of());
  }

  static byte[] configJson(Config c) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode n = m.createObjectNode();
    if (c.gemma()) {
      n.putArray("architectures").add("Gemma2ForCausalLM");
      n.put("model_type", "gemma2");
      n.put("hidden_activation", "gelu_pytorch_tanh");
      n.put("attn_logit_softcapping", ATTN_SOFTCAP);
      n.put("final_logit_softcapping", FINAL_SOFTCAP);
      n.put("query_pre_attn_scalar", c.headDim());
    } else if (c.qkNorm()) {
      n.putArray("architectures").add("Qwen3ForCausalLM");
      n.put("model_type", "qwen3");
    } else {
      n.putArray("architectures").add("LlamaForCausalLM");
      n.put("model_type", "llama");
    }
    n.put("hidden_size", c.hidden());
    n.put("intermediate_size", c.intermediate());
    n.put("num_hidden_layers", c.layers());
    n.put("num_attention_heads", c.heads());
    n.put("num_key_value_heads", c.kvHeads());
    n.put("head_dim", c.headDim());
    n.put("vocab_size", c.logitsVocab()); // the model's vocabulary (the LM head)
    n.put("tie_word_embeddings", c.tiedEmbeddings());
    n.put("max_position_embeddings", 4096);
    n.put("rms_norm_eps", 1e-5);
    n.put("rope_theta", 10000.0);
    n.put("torch_dtype", c.float16() ? "float16" : "float32");
    return m.writeValueAsBytes(n);
  }

  static final double ATTN_SOFTCAP = 50.0;
  static final double FINAL_SOFTCAP = 30.0;

  /** The ONNX model (opset 17) for {@code c}; not for {@link Config#externalData()} (use {@link #write}). */
  public static byte[] modelBytes(Config c) {
    if (c.externalData()) {
      throw new IllegalArgumentException("a model with external data is a folder: use TinyDecoderFixture.write");
    }
    return graph(c, null).toBytes();
  }

  /**
   * The ONNX graph for {@code c}. Weights come from one seeded stream in a fixed order that the int4 and fp32
   * forms share (so an int4 model is its fp32 twin quantized); a tied embedding has its own stream, read again
   * for the int4 head.
   */
  static OnnxGraph graph(Config c, Path externalData) {
    SplittableRandom rnd = new SplittableRandom(c.seed());
    OnnxGraph g = new OnnxGraph("tiny_llama");
    if (externalData != null) {
      g.externalData(externalData, 1 << 20);
    }
    int h = c.hidden();
    int hd = c.headDim();
    int nh = c.heads();
    int kvh = c.kvHeads();
    int aw = c.attentionWidth();
    String pastName = c.inputNamePrefix();
    int io = c.float16() ? OnnxGraph.FLOAT16 : FLOAT;

    g.input("input_ids", INT64, "batch_size", "sequence_length");
    g.input("attention_mask", INT64, "batch_size", "total_sequence_length");
    g.input("position_ids", INT64, "batch_size", "sequence_length");
    for (int i = 0; i < c.layers(); i++) {
      g.input(pastName + "." + i + ".key", io, "batch_size", kvh, "past_sequence_length", hd);
      g.input(pastName + "." + i + ".value", io, "batch_size", kvh, "past_sequence_length", hd);
    }
    if (!c.omittedOutputs().contains("logits")) {
      g.output("logits", io, "batch_size", "sequence_length", c.logitsVocab());
    }
    for (int i = 0; i < c.layers(); i++) {
      for (String kind : new String[] {"key", "value"}) {
        String name = "present." + i + "." + kind;
        if (!c.omittedOutputs().contains(name)) {
          g.output(name, io, "batch_size", kvh, "total_sequence_length", hd);
        }
      }
    }

    // embeddings [B,S,H]; a tied embedding has its own stream (read again for the int4 LM head)
    long embedSeed = c.seed() ^ 0x9E3779B97F4A7C15L;
    float embedStd = c.gemma() ? (float) (1.0 / Math.sqrt(h)) : 1f; // Gemma scales it back up by sqrt(h)
    SplittableRandom embedRnd = c.tiedEmbeddings() ? new SplittableRandom(embedSeed) : rnd;
    String embed;
    String x;
    if (c.int4()) {
      embed = halfMatrix(g, "embed_tokens", embedRnd, c.vocabSize(), h, embedStd);
      x = g.op("Cast", List.of(g.op("Gather", List.of(embed, "input_ids"), attrInt("axis", 0))),
          attrInt("to", FLOAT));
    } else {
      embed = floatMatrix(g, "embed_tokens", embedRnd, c.vocabSize(), h, embedStd);
      x = g.op("Gather", List.of(embed, "input_ids"), attrInt("axis", 0));
    }
    if (c.gemma()) {
      x = g.op("Mul", List.of(x, g.constFloat((float) Math.sqrt(h))));
    }

    // rotary tables: cos/sin [B,1,S,hd]
    float[] invFreq = new float[hd / 2];
    for (int i = 0; i < hd / 2; i++) {
      invFreq[i] = (float) (1.0 / Math.pow(10000.0, (2.0 * i) / hd));
    }
    String inv = g.floats("inv_freq", invFreq, hd / 2);
    String pos = g.op("Cast", List.of("position_ids"), attrInt("to", FLOAT));
    String posU = g.op("Unsqueeze", List.of(pos, g.constLongs(-1)));
    String freqs = g.op("Mul", List.of(posU, inv));
    String emb = g.op("Concat", List.of(freqs, freqs), attrInt("axis", -1));
    String cos = g.op("Unsqueeze", List.of(g.op("Cos", List.of(emb)), g.constLongs(1)));
    String sin = g.op("Unsqueeze", List.of(g.op("Sin", List.of(emb)), g.constLongs(1)));

    // mask bias [B,1,1,S,T] (5-D for grouped attention): causal on absolute index AND attention_mask
    // scalar indices (0-d initializers) make Gather return scalars, as Range needs
    String pastShape = g.op("Shape", List.of(pastName + ".0.key"));
    String pastLenS = g.op("Gather", List.of(pastShape, g.longs(g.fresh("i2"), new long[] {2})), attrInt("axis", 0));
    String maskShape = g.op("Shape", List.of("attention_mask"));
    String total = g.op("Gather", List.of(maskShape, g.longs(g.fresh("i1"), new long[] {1})), attrInt("axis", 0));
    String zeroS = g.longs(g.fresh("zero"), new long[] {0});
    String oneS = g.longs(g.fresh("one"), new long[] {1});
    String qIdx = g.op("Range", List.of(pastLenS, total, oneS));
    String kIdx = g.op("Range", List.of(zeroS, total, oneS));
    String causal = g.op("LessOrEqual", List.of(
        g.op("Unsqueeze", List.of(kIdx, g.constLongs(0))), g.op("Unsqueeze", List.of(qIdx, g.constLongs(1)))));
    String padOk = g.op("Unsqueeze", List.of(g.op("Cast", List.of("attention_mask"), attrInt("to", OnnxGraph.BOOL)),
        g.constLongs(1, 2, 3)));
    String allowed = g.op("And", List.of(causal, padOk));
    String bias = g.op("Where", List.of(allowed, g.constFloat(0f), g.constFloat(-1e9f)));

    float wStd = (float) (1.0 / Math.sqrt(h));
    float scale = (float) (1.0 / Math.sqrt(hd));
    String shapeHeads = g.constLongs(0, 0, nh, hd);
    String shapeKv = g.constLongs(0, 0, kvh, hd);
    String shapeGrouped = g.constLongs(0, kvh, nh / kvh, -1, hd);
    String shapeBack = g.constLongs(0, nh, -1, hd);
    String shapeMerge = g.constLongs(0, 0, aw);
    for (int l = 0; l < c.layers(); l++) {
      String hN = rmsNorm(g, x, h, "l" + l + "_in_norm", rnd);
      String q = g.op("Transpose", List.of(g.op("Reshape", List.of(
          linear(g, c, hN, "l" + l + "_wq", h, aw, wStd, rnd),
          shapeHeads))), attrInts("perm", 0, 2, 1, 3));
      String k = g.op("Transpose", List.of(g.op("Reshape", List.of(
          linear(g, c, hN, "l" + l + "_wk", h, kvh * hd, wStd, rnd),
          shapeKv))), attrInts("perm", 0, 2, 1, 3));
      String v = g.op("Transpose", List.of(g.op("Reshape", List.of(
          linear(g, c, hN, "l" + l + "_wv", h, kvh * hd, wStd, rnd),
          shapeKv))), attrInts("perm", 0, 2, 1, 3));
      if (c.qkNorm()) { // Qwen3: RMSNorm over each head's vector, one weight of head_dim shared by the heads
        q = rmsNorm(g, q, hd, "l" + l + "_q_norm", rnd);
        k = rmsNorm(g, k, hd, "l" + l + "_k_norm", rnd);
      }
      q = rope(g, q, cos, sin, hd);
      k = rope(g, k, cos, sin, hd);
      String pastK = pastName + "." + l + ".key";
      String pastV = pastName + "." + l + ".value";
      String presentK;
      String presentV;
      if (c.float16()) { // fp16 I/O: compute in float32, store the cache in float16 (and read it back rounded)
        String kIo = g.op("Cast", List.of(k), attrInt("to", OnnxGraph.FLOAT16));
        String vIo = g.op("Cast", List.of(v), attrInt("to", OnnxGraph.FLOAT16));
        g.node("Concat", List.of(pastK, kIo), List.of("present." + l + ".key"), attrInt("axis", 2));
        g.node("Concat", List.of(pastV, vIo), List.of("present." + l + ".value"), attrInt("axis", 2));
        presentK = g.op("Cast", List.of("present." + l + ".key"), attrInt("to", FLOAT));
        presentV = g.op("Cast", List.of("present." + l + ".value"), attrInt("to", FLOAT));
      } else {
        presentK = g.node("Concat", List.of(pastK, k), List.of("present." + l + ".key"), attrInt("axis", 2));
        presentV = g.node("Concat", List.of(pastV, v), List.of("present." + l + ".value"), attrInt("axis", 2));
      }
      // grouped attention: q [B,kvh,rep,S,hd] x k [B,kvh,1,hd,T]
      String q5 = g.op("Reshape", List.of(q, shapeGrouped));
      String k5 = g.op("Unsqueeze", List.of(presentK, g.constLongs(2)));
      String v5 = g.op("Unsqueeze", List.of(presentV, g.constLongs(2)));
      String kT = g.op("Transpose", List.of(k5), attrInts("perm", 0, 1, 2, 4, 3));
      String scores = g.op("Mul", List.of(g.op("MatMul", List.of(q5, kT)), g.constFloat(scale)));
      if (c.gemma()) {
        scores = softCap(g, scores, (float) ATTN_SOFTCAP);
      }
      String probs = g.op("Softmax", List.of(g.op("Add", List.of(scores, bias))), attrInt("axis", -1));
      String ctx = g.op("MatMul", List.of(probs, v5));
      String merged = g.op("Reshape", List.of(g.op("Transpose", List.of(g.op("Reshape", List.of(ctx, shapeBack))),
          attrInts("perm", 0, 2, 1, 3)), shapeMerge));
      String attnOut = linear(g, c, merged, "l" + l + "_wo", aw, h, (float) (1.0 / Math.sqrt(aw)), rnd);
      if (c.gemma()) {
        attnOut = rmsNorm(g, attnOut, h, "l" + l + "_post_attn_norm", rnd);
      }
      x = g.op("Add", List.of(x, attnOut));
      String h2 = rmsNorm(g, x, h, "l" + l + "_post_norm", rnd);
      int m = c.intermediate();
      String gate = linear(g, c, h2, "l" + l + "_wg", h, m, wStd, rnd);
      String up = linear(g, c, h2, "l" + l + "_wu", h, m, wStd, rnd);
      String act = g.op("Mul", List.of(c.gemma() ? geluTanh(g, gate)
          : g.op("Mul", List.of(gate, g.op("Sigmoid", List.of(gate)))), up));
      String down = linear(g, c, act, "l" + l + "_wd", m, h, (float) (1.0 / Math.sqrt(m)), rnd);
      if (c.gemma()) {
        down = rmsNorm(g, down, h, "l" + l + "_post_ffw_norm", rnd);
      }
      x = g.op("Add", List.of(x, down));
    }
    String out = rmsNorm(g, x, h, "final_norm", rnd);
    String logits;
    if (c.tiedEmbeddings() && !c.int4()) {
      // one tensor for the lookup and the head: Gemm(transB) reads the [vocab, hidden] embedding as it is
      String flat = g.op("Reshape", List.of(out, g.constLongs(-1, h)));
      String lm = g.op("Gemm", List.of(flat, embed), attrInt("transB", 1));
      String outShape = g.op("Concat", List.of(g.op("Slice", List.of(g.op("Shape", List.of("input_ids")),
          g.constLongs(0), g.constLongs(2))), g.constLongs(c.logitsVocab())), attrInt("axis", 0));
      logits = g.op("Reshape", List.of(lm, outShape));
    } else if (c.tiedEmbeddings()) {
      logits = tiedInt4Head(g, out, new SplittableRandom(embedSeed), c.vocabSize(), h, embedStd);
    } else if (c.int4()) {
      logits = linear(g, c, out, "lm_head", h, c.logitsVocab(), 3f * wStd, rnd);
    } else {
      String lmHead = g.floats("lm_head", random(rnd, h * c.logitsVocab(), 3f * wStd), h, c.logitsVocab());
      logits = g.op("MatMul", List.of(out, lmHead));
    }
    if (c.tiedEmbeddings() && !c.gemma()) {
      // a tied head reads embedding rows of norm ~sqrt(h) * std: scale to the untied head's logit range
      logits = g.op("Mul", List.of(logits, g.constFloat(3f / (float) Math.sqrt(h) / embedStd)));
    }
    if (c.gemma()) {
      logits = softCap(g, logits, (float) FINAL_SOFTCAP);
    }
    if (!c.omittedOutputs().contains("logits")) {
      if (c.float16()) {
        g.node("Cast", List.of(logits), List.of("logits"), attrInt("to", OnnxGraph.FLOAT16));
      } else {
        g.node("Identity", List.of(logits), List.of("logits"));
      }
    }
    return g;
  }

  /** {@code cap * tanh(x / cap)}: Gemma 2's soft-cap. */
  private static String softCap(OnnxGraph g, String x, float cap) {
    return g.op("Mul", List.of(g.op("Tanh", List.of(g.op("Mul", List.of(x, g.constFloat(1f / cap))))),
        g.constFloat(cap)));
  }

  /** GELU, tanh approximation (Gemma's {@code gelu_pytorch_tanh}): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  private static String geluTanh(OnnxGraph g, String x) {
    String x3 = g.op("Mul", List.of(g.op("Mul", List.of(x, x)), x));
    String inner = g.op("Mul", List.of(g.op("Add", List.of(x, g.op("Mul", List.of(x3, g.constFloat(0.044715f))))),
        g.constFloat((float) Math.sqrt(2.0 / Math.PI))));
    String t = g.op("Add", List.of(g.op("Tanh", List.of(inner)), g.constFloat(1f)));
    return g.op("Mul", List.of(g.op("Mul", List.of(x, t)), g.constFloat(0.5f)));
  }

  /** A [rows, cols] float32 matrix drawn row by row (streamed: an embedding can be gigabytes). */
  private static String floatMatrix(OnnxGraph g, String name, SplittableRandom rnd, int rows, int cols, float std) {
    return g.tensor(name, FLOAT, 4L * rows * cols, out -> {
      java.nio.ByteBuffer row = java.nio.ByteBuffer.allocate(4 * cols).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int r = 0; r < rows; r++) {
        row.clear();
        for (int j = 0; j < cols; j++) {
          row.putFloat((float) (rnd.nextGaussian() * std));
        }
        out.write(row.array());
      }
    }, rows, cols);
  }

  /** The same values as {@link #floatMatrix} in float16. */
  private static String halfMatrix(OnnxGraph g, String name, SplittableRandom rnd, int rows, int cols, float std) {
    return g.tensor(name, OnnxGraph.FLOAT16, 2L * rows * cols, out -> {
      byte[] row = new byte[2 * cols];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < cols; j++) {
          int half = toHalf((float) (rnd.nextGaussian() * std));
          row[2 * j] = (byte) half;
          row[2 * j + 1] = (byte) (half >>> 8);
        }
        out.write(row);
      }
    }, rows, cols);
  }

  /**
   * The int4 LM head of a tied model: the embedding's rows ([vocab, hidden], drawn again from its stream) are
   * MatMulNBits' [N, K] layout already, so they are quantized one row at a time.
   */
  private static String tiedInt4Head(OnnxGraph g, String x, SplittableRandom rnd, int vocab, int h, float std) {
    int block = 32;
    if (h % block != 0) {
      throw new IllegalArgumentException("lm_head: the int4 form needs the hidden size a multiple of " + block
          + ", got " + h);
    }
    int blocks = h / block;
    float[] scales = new float[Math.toIntExact((long) vocab * blocks)];
    String b = g.tensor("lm_head_q4", OnnxGraph.UINT8, (long) vocab * blocks * (block / 2), out -> {
      float[] row = new float[h];
      byte[] packed = new byte[blocks * (block / 2)];
      for (int r = 0; r < vocab; r++) {
        for (int j = 0; j < h; j++) {
          row[j] = (float) (rnd.nextGaussian() * std);
        }
        for (int bl = 0; bl < blocks; bl++) {
          scales[r * blocks + bl] = quantizeBlock(row, bl * block, 1, block, packed, bl * (block / 2));
        }
        out.write(packed);
      }
    }, vocab, blocks, block / 2);
    String sc = g.floats("lm_head_scales", scales, (long) vocab * blocks);
    return g.msNode("MatMulNBits", List.of(x, b, sc), List.of(g.fresh("lm_head_out")), attrInt("K", h),
        attrInt("N", vocab), attrInt("bits", 4), attrInt("block_size", block), attrInt("accuracy_level", 4));
  }

  /**
   * Quantizes {@code n} values of {@code w} (from {@code from}, every {@code stride}-th) to 4 bits with zero point
   * 8 and scale absmax / 7 (the symmetric scheme of ORT's MatMulNBits quantizer), two per byte, low nibble first;
   * returns the scale.
   */
  private static float quantizeBlock(float[] w, int from, int stride, int n, byte[] out, int outAt) {
    float max = 0f;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, Math.abs(w[from + i * stride]));
    }
    float s = max == 0f ? 1f : max / 7f;
    for (int i = 0; i < n; i += 2) {
      int lo = Math.max(0, Math.min(15, Math.round(w[from + i * stride] / s) + 8));
      int hi = Math.max(0, Math.min(15, Math.round(w[from + (i + 1) * stride] / s) + 8));
      out[outAt + i / 2] = (byte) (lo | (hi << 4));
    }
    return s;
  }

  /** {@code x} [.., k] times a random [k, n] weight: a float MatMul, or MatMulNBits (the same weights quantized). */
  private static String linear(OnnxGraph g, Config c, String x, String name, int k, int n, float std,
      SplittableRandom rnd) {
    float[] w = random(rnd, Math.multiplyExact(k, n), std); // [k, n] row-major, the same draws in both forms
    if (!c.int4()) {
      return g.op("MatMul", List.of(x, g.floats(name, w, k, n)));
    }
    int block = 32;
    if (k % block != 0) {
      throw new IllegalArgumentException(name + ": the int4 form needs K a multiple of " + block + ", got " + k);
    }
    int blocks = k / block;
    // B [N, blocks, 16]: column j of W, block by block along K
    byte[] packed = new byte[Math.toIntExact((long) n * blocks * (block / 2))];
    float[] scales = new float[n * blocks];
    for (int j = 0; j < n; j++) {
      for (int bl = 0; bl < blocks; bl++) {
        scales[j * blocks + bl] = quantizeBlock(w, bl * block * n + j, n, block, packed,
            (j * blocks + bl) * (block / 2));
      }
    }
    String b = g.raw(name + "_q4", OnnxGraph.UINT8, packed, n, blocks, block / 2);
    String sc = g.floats(name + "_scales", scales, (long) n * blocks);
    return g.msNode("MatMulNBits", List.of(x, b, sc), List.of(g.fresh(name + "_out")), attrInt("K", k),
        attrInt("N", n), attrInt("bits", 4), attrInt("block_size", block), attrInt("accuracy_level", 4));
  }

  /** float16 bits of {@code f} (truncated mantissa; subnormals flushed to zero, overflow to the largest). */
  private static int toHalf(float f) {
    int bits = Float.floatToIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
    if (exp <= 0) {
      return sign;
    }
    if (exp >= 31) {
      return sign | 0x7BFF;
    }
    return sign | (exp << 10) | ((bits >>> 13) & 0x3FF);
  }

  private static String rmsNorm(OnnxGraph g, String x, int h, String name, SplittableRandom rnd) {
    float[] w = new float[h];
    for (int i = 0; i < h; i++) {
      w[i] = 1f + 0.1f * (float) rnd.nextGaussian();
    }
    String sq = g.op("Mul", List.of(x, x));
    String mean = g.op("ReduceMean", List.of(sq), attrInts("axes", -1), attrInt("keepdims", 1));
    String rms = g.op("Sqrt", List.of(g.op("Add", List.of(mean, g.constFloat(1e-5f)))));
    return g.op("Mul", List.of(g.op("Div", List.of(x, rms)), g.floats(name, w, h)));
  }

  /** Llama's rotate-half RoPE on [B, heads, S, hd] with cos/sin [B, 1, S, hd]. */
  private static String rope(OnnxGraph g, String t, String cos, String sin, int hd) {
    String a = g.fresh("half_a");
    String b = g.fresh("half_b");
    g.node("Split", List.of(t), List.of(a, b), attrInt("axis", -1));
    String rotated = g.op("Concat", List.of(g.op("Neg", List.of(b)), a), attrInt("axis", -1));
    return g.op("Add", List.of(g.op("Mul", List.of(t, cos)), g.op("Mul", List.of(rotated, sin))));
  }

  private static float[] random(SplittableRandom rnd, int n, float std) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextGaussian() * std);
    }
    return a;
  }

  /** Extra manifest keys as a mutable map, for tests that add their own. */
  static Map<String, Object> extra(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static List<String> names(int layers, String prefix) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      out.add(prefix + "." + i + ".key");
      out.add(prefix + "." + i + ".value");
    }
    return out;
  }
}
