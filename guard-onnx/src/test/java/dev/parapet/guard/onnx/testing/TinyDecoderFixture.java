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
 * {@code text-generation-with-past} export lays it out: {@code model.onnx}, {@code tokenizer.json},
 * {@code config.json} and our {@code parapet-model.json}.
 *
 * <p>The graph has Optimum's exact I/O: inputs {@code input_ids} [batch, seq], {@code attention_mask}
 * [batch, past+seq], {@code position_ids} [batch, seq], {@code past_key_values.{i}.key|value}
 * [batch, kv_heads, past, head_dim]; outputs {@code logits} [batch, seq, vocab] and
 * {@code present.{i}.key|value}. Inside: token embedding, per layer RMSNorm, grouped-query attention with
 * rotary position embeddings (rotate-half form, as in Llama), a causal + padding mask built from
 * {@code attention_mask}, and a SiLU-gated MLP; a final RMSNorm and an untied LM head.
 *
 * <p>Reusable with bigger sizes (the benchmarks build 4-8 layers, hidden 256-512, vocab 32k); weights come
 * from a seeded generator, so the same config writes the same bytes.
 */
public final class TinyDecoderFixture {

  /**
   * What to build.
   *
   * @param layers decoder layers
   * @param hidden hidden size (= heads x headDim)
   * @param heads query heads
   * @param kvHeads key/value heads (GQA: heads must be a multiple)
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
   *     scale per block, accuracy level 4), the token embedding in float16; activations stay float32
   */
  public record Config(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocabSize,
      String family, long seed, List<String> seedTexts, String inputNamePrefix, int logitsVocab, boolean float16,
      boolean int4) {
    public Config {
      requireNonNull(family, "family");
      seedTexts = List.copyOf(requireNonNull(seedTexts, "seedTexts"));
      requireNonNull(inputNamePrefix, "inputNamePrefix");
      if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
        throw new IllegalArgumentException("need hidden % heads == 0, heads % kvHeads == 0 and an even head dim");
      }
    }

    /** 2 layers, hidden 32, 4 heads, 2 KV heads, MLP 64, vocab 600. */
    public static Config tiny(String family) {
      return new Config(2, 32, 4, 2, 64, 600, family, 42, List.of(), "past_key_values", 600, false, false);
    }

    public int headDim() {
      return hidden / heads;
    }

    public Config withSeedTexts(List<String> texts) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, texts,
          inputNamePrefix, logitsVocab, float16, int4);
    }

    public Config withSize(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocabSize) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, vocabSize, float16, int4);
    }

    public Config withSeed(long newSeed) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, newSeed, seedTexts,
          inputNamePrefix, logitsVocab, float16, int4);
    }

    public Config withInputNamePrefix(String prefix) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts, prefix,
          logitsVocab, float16, int4);
    }

    public Config withFloat16(boolean f16) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, logitsVocab, f16, int4);
    }

    public Config withInt4(boolean q) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, logitsVocab, float16, q);
    }

    /** Bytes of the weights as written (what the model file and, roughly, resident weights cost). */
    public long weightBytes() {
      long proj = (long) layers * ((long) hidden * heads * headDim() * 2 + 2L * hidden * kvHeads * headDim()
          + 3L * hidden * intermediate);
      long lmHead = (long) hidden * logitsVocab;
      long embed = (long) vocabSize * hidden;
      return int4 ? (proj + lmHead) / 2 + (proj + lmHead) / 32 * 4 + embed * 2 : (proj + lmHead + embed) * 4;
    }

    public Config withLogitsVocab(int v) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, v, float16, int4);
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
      try (java.io.OutputStream out = new java.io.BufferedOutputStream(
          Files.newOutputStream(dir.resolve("model.onnx")), 1 << 20)) {
        graph(config).writeTo(out);
      }
      Files.write(dir.resolve("config.json"), configJson(config));
      ModelManifest.create(dir, config.family(), extraManifest);
      return vocab;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Map<String, Integer> write(Path dir, Config config) {
    return write(dir, config, Map.of());
  }

  static byte[] configJson(Config c) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode n = m.createObjectNode();
    n.putArray("architectures").add("LlamaForCausalLM");
    n.put("model_type", "llama");
    n.put("hidden_size", c.hidden());
    n.put("intermediate_size", c.intermediate());
    n.put("num_hidden_layers", c.layers());
    n.put("num_attention_heads", c.heads());
    n.put("num_key_value_heads", c.kvHeads());
    n.put("head_dim", c.headDim());
    n.put("vocab_size", c.logitsVocab()); // the model's vocabulary (the LM head)
    n.put("max_position_embeddings", 4096);
    n.put("rms_norm_eps", 1e-5);
    n.put("rope_theta", 10000.0);
    n.put("torch_dtype", c.float16() ? "float16" : "float32");
    return m.writeValueAsBytes(n);
  }

  /** The ONNX model (opset 17) for {@code c}. */
  public static byte[] modelBytes(Config c) {
    return graph(c).toBytes();
  }

  /** The ONNX graph for {@code c}. */
  static OnnxGraph graph(Config c) {
    SplittableRandom rnd = new SplittableRandom(c.seed());
    OnnxGraph g = new OnnxGraph("tiny_llama");
    int h = c.hidden();
    int hd = c.headDim();
    int nh = c.heads();
    int kvh = c.kvHeads();
    String pastName = c.inputNamePrefix();
    int io = c.float16() ? OnnxGraph.FLOAT16 : FLOAT;

    g.input("input_ids", INT64, "batch_size", "sequence_length");
    g.input("attention_mask", INT64, "batch_size", "total_sequence_length");
    g.input("position_ids", INT64, "batch_size", "sequence_length");
    for (int i = 0; i < c.layers(); i++) {
      g.input(pastName + "." + i + ".key", io, "batch_size", kvh, "past_sequence_length", hd);
      g.input(pastName + "." + i + ".value", io, "batch_size", kvh, "past_sequence_length", hd);
    }
    g.output("logits", io, "batch_size", "sequence_length", c.logitsVocab());
    for (int i = 0; i < c.layers(); i++) {
      g.output("present." + i + ".key", io, "batch_size", kvh, "total_sequence_length", hd);
      g.output("present." + i + ".value", io, "batch_size", kvh, "total_sequence_length", hd);
    }

    // embeddings [B,S,H]
    String x;
    if (c.int4()) {
      String embed = g.raw("embed_tokens", OnnxGraph.FLOAT16, randomHalf(rnd, (long) c.vocabSize() * h, 1f),
          c.vocabSize(), h);
      x = g.op("Cast", List.of(g.op("Gather", List.of(embed, "input_ids"), attrInt("axis", 0))),
          attrInt("to", FLOAT));
    } else {
      String embed = g.floats("embed_tokens", random(rnd, c.vocabSize() * h, 1f), c.vocabSize(), h);
      x = g.op("Gather", List.of(embed, "input_ids"), attrInt("axis", 0));
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
    String shapeMerge = g.constLongs(0, 0, nh * hd);
    for (int l = 0; l < c.layers(); l++) {
      String hN = rmsNorm(g, x, h, "l" + l + "_in_norm", rnd);
      String q = g.op("Transpose", List.of(g.op("Reshape", List.of(
          linear(g, c, hN, "l" + l + "_wq", h, nh * hd, wStd, rnd),
          shapeHeads))), attrInts("perm", 0, 2, 1, 3));
      String k = g.op("Transpose", List.of(g.op("Reshape", List.of(
          linear(g, c, hN, "l" + l + "_wk", h, kvh * hd, wStd, rnd),
          shapeKv))), attrInts("perm", 0, 2, 1, 3));
      String v = g.op("Transpose", List.of(g.op("Reshape", List.of(
          linear(g, c, hN, "l" + l + "_wv", h, kvh * hd, wStd, rnd),
          shapeKv))), attrInts("perm", 0, 2, 1, 3));
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
      String probs = g.op("Softmax", List.of(g.op("Add", List.of(scores, bias))), attrInt("axis", -1));
      String ctx = g.op("MatMul", List.of(probs, v5));
      String merged = g.op("Reshape", List.of(g.op("Transpose", List.of(g.op("Reshape", List.of(ctx, shapeBack))),
          attrInts("perm", 0, 2, 1, 3)), shapeMerge));
      String attnOut = linear(g, c, merged, "l" + l + "_wo", nh * hd, h, wStd, rnd);
      x = g.op("Add", List.of(x, attnOut));
      String h2 = rmsNorm(g, x, h, "l" + l + "_post_norm", rnd);
      int m = c.intermediate();
      String gate = linear(g, c, h2, "l" + l + "_wg", h, m, wStd, rnd);
      String up = linear(g, c, h2, "l" + l + "_wu", h, m, wStd, rnd);
      String act = g.op("Mul", List.of(g.op("Mul", List.of(gate, g.op("Sigmoid", List.of(gate)))), up));
      String down = linear(g, c, act, "l" + l + "_wd", m, h, (float) (1.0 / Math.sqrt(m)), rnd);
      x = g.op("Add", List.of(x, down));
    }
    String out = rmsNorm(g, x, h, "final_norm", rnd);
    if (c.int4()) {
      String logits = linear(g, c, out, "lm_head", h, c.logitsVocab(), 3f * wStd, rnd);
      g.node(c.float16() ? "Cast" : "Identity", List.of(logits), List.of("logits"),
          c.float16() ? new OnnxGraph.Msg[] {attrInt("to", OnnxGraph.FLOAT16)} : new OnnxGraph.Msg[0]);
      return g;
    }
    String lmHead = g.floats("lm_head", random(rnd, h * c.logitsVocab(), 3f * wStd), h, c.logitsVocab());
    if (c.float16()) {
      g.node("Cast", List.of(g.op("MatMul", List.of(out, lmHead))), List.of("logits"), attrInt("to", OnnxGraph.FLOAT16));
    } else {
      g.node("MatMul", List.of(out, lmHead), List.of("logits"));
    }
    return g;
  }

  /** {@code x} [.., k] times a random [k, n] weight: a float MatMul, or MatMulNBits in the int4 form. */
  private static String linear(OnnxGraph g, Config c, String x, String name, int k, int n, float std,
      SplittableRandom rnd) {
    if (!c.int4()) {
      return g.op("MatMul", List.of(x, g.floats(name, random(rnd, k * n, std), k, n)));
    }
    int block = 32;
    if (k % block != 0) {
      throw new IllegalArgumentException(name + ": the int4 form needs K a multiple of " + block + ", got " + k);
    }
    int blocks = k / block;
    // B [N, blocks, 16]: two 4-bit values per byte (low nibble first), uniform over 0..15; the default zero
    // point is 8, so a weight is (q - 8) * scale with std(q - 8) = 4.61
    byte[] packed = new byte[Math.toIntExact((long) n * blocks * (block / 2))];
    for (int i = 0; i < packed.length; i += 8) {
      long r = rnd.nextLong();
      for (int j = 0; j < 8 && i + j < packed.length; j++) {
        packed[i + j] = (byte) (r >>> (8 * j));
      }
    }
    float[] scales = new float[n * blocks];
    java.util.Arrays.fill(scales, std / 4.61f);
    String b = g.raw(name + "_q4", OnnxGraph.UINT8, packed, n, blocks, block / 2);
    String sc = g.floats(name + "_scales", scales, (long) n * blocks);
    return g.msNode("MatMulNBits", List.of(x, b, sc), List.of(g.fresh(name + "_out")), attrInt("K", k),
        attrInt("N", n), attrInt("bits", 4), attrInt("block_size", block), attrInt("accuracy_level", 4));
  }

  /** Random float16 values (little-endian bits), normal with the given std; subnormals flushed to zero. */
  private static byte[] randomHalf(SplittableRandom rnd, long n, float std) {
    byte[] out = new byte[Math.toIntExact(n * 2)];
    for (int i = 0; i < n; i++) {
      int bits = Float.floatToIntBits((float) (rnd.nextGaussian() * std));
      int sign = (bits >>> 16) & 0x8000;
      int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
      int half;
      if (exp <= 0) {
        half = sign;
      } else if (exp >= 31) {
        half = sign | 0x7BFF;
      } else {
        half = sign | (exp << 10) | ((bits >>> 13) & 0x3FF);
      }
      out[2 * i] = (byte) half;
      out[2 * i + 1] = (byte) (half >>> 8);
    }
    return out;
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
