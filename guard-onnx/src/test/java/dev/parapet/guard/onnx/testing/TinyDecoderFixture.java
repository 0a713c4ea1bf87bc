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
   */
  public record Config(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocabSize,
      String family, long seed, List<String> seedTexts, String inputNamePrefix, int logitsVocab, boolean float16) {
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
      return new Config(2, 32, 4, 2, 64, 600, family, 42, List.of(), "past_key_values", 600, false);
    }

    public int headDim() {
      return hidden / heads;
    }

    public Config withSeedTexts(List<String> texts) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, texts,
          inputNamePrefix, logitsVocab, float16);
    }

    public Config withSize(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocabSize) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, vocabSize, float16);
    }

    public Config withSeed(long newSeed) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, newSeed, seedTexts,
          inputNamePrefix, logitsVocab, float16);
    }

    public Config withInputNamePrefix(String prefix) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts, prefix,
          logitsVocab, float16);
    }

    public Config withFloat16(boolean f16) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, logitsVocab, f16);
    }

    public Config withLogitsVocab(int v) {
      return new Config(layers, hidden, heads, kvHeads, intermediate, vocabSize, family, seed, seedTexts,
          inputNamePrefix, v, float16);
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
      Files.write(dir.resolve("model.onnx"), modelBytes(config));
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
    String embed = g.floats("embed_tokens", random(rnd, c.vocabSize() * h, 1f), c.vocabSize(), h);
    String x = g.op("Gather", List.of(embed, "input_ids"), attrInt("axis", 0));

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
          g.op("MatMul", List.of(hN, g.floats("l" + l + "_wq", random(rnd, h * nh * hd, wStd), h, nh * hd))),
          shapeHeads))), attrInts("perm", 0, 2, 1, 3));
      String k = g.op("Transpose", List.of(g.op("Reshape", List.of(
          g.op("MatMul", List.of(hN, g.floats("l" + l + "_wk", random(rnd, h * kvh * hd, wStd), h, kvh * hd))),
          shapeKv))), attrInts("perm", 0, 2, 1, 3));
      String v = g.op("Transpose", List.of(g.op("Reshape", List.of(
          g.op("MatMul", List.of(hN, g.floats("l" + l + "_wv", random(rnd, h * kvh * hd, wStd), h, kvh * hd))),
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
      String attnOut = g.op("MatMul", List.of(merged, g.floats("l" + l + "_wo", random(rnd, nh * hd * h, wStd),
          nh * hd, h)));
      x = g.op("Add", List.of(x, attnOut));
      String h2 = rmsNorm(g, x, h, "l" + l + "_post_norm", rnd);
      int m = c.intermediate();
      String gate = g.op("MatMul", List.of(h2, g.floats("l" + l + "_wg", random(rnd, h * m, wStd), h, m)));
      String up = g.op("MatMul", List.of(h2, g.floats("l" + l + "_wu", random(rnd, h * m, wStd), h, m)));
      String act = g.op("Mul", List.of(g.op("Mul", List.of(gate, g.op("Sigmoid", List.of(gate)))), up));
      String down = g.op("MatMul", List.of(act, g.floats("l" + l + "_wd", random(rnd, m * h,
          (float) (1.0 / Math.sqrt(m))), m, h)));
      x = g.op("Add", List.of(x, down));
    }
    String out = rmsNorm(g, x, h, "final_norm", rnd);
    String lmHead = g.floats("lm_head", random(rnd, h * c.logitsVocab(), 3f * wStd), h, c.logitsVocab());
    if (c.float16()) {
      g.node("Cast", List.of(g.op("MatMul", List.of(out, lmHead))), List.of("logits"), attrInt("to", OnnxGraph.FLOAT16));
    } else {
      g.node("MatMul", List.of(out, lmHead), List.of("logits"));
    }
    return g.toBytes();
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
