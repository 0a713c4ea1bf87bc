package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture features that the size-faithful benchmark decoders use (Llama-3.2-1B, Qwen3-0.6B, Gemma-2-2B
 * shapes), each at a tiny size: they load and classify through {@link DecoderGuardClassifier} unchanged, and the
 * int4 form is its fp32 twin quantized.
 */
class RealShapeFeaturesTest {
  @TempDir Path dir;

  private static final ClassificationRequest PROMPT =
      ClassificationRequest.of(Conversation.ofPrompt("How do I bake sourdough bread?"),
          GuardFamily.LLAMA_GUARD_3.nativeTaxonomy());

  /** Qwen3's shape features: attention width 4 x 16 = 64 against hidden 32, q/k norms, tied embeddings. */
  static TinyDecoderFixture.Config qwenLike(GuardFamily family) {
    return Fixtures.config(family).withSize(2, 32, 4, 2, 64, 1200).withHeadDim(16).withQkNorm(true)
        .withTiedEmbeddings(true);
  }

  @Test
  void qkNormAndWideAttentionAndTiedEmbeddings_loadAndClassifyAsQwen3Guard() throws Exception {
    Path m = Fixtures.model(dir.resolve("qwen"), GuardFamily.QWEN3GUARD_GEN, qwenLike(GuardFamily.QWEN3GUARD_GEN));
    String summary = DecoderExportCheck.check(m, GuardFamily.QWEN3GUARD_GEN).summary();
    assertTrue(summary.contains("2 KV heads x 16"), "head_dim from the graph, not hidden / heads: " + summary);
    try (DecoderGuardClassifier c = DecoderGuardClassifier.load(m)) {
      Scores s = c.classify(ClassificationRequest.of(Conversation.ofExchange("How do I bake bread?",
          "Mix flour, water and salt."), GuardFamily.QWEN3GUARD_GEN.nativeTaxonomy()));
      assertTrue(s.unsafe() >= 0 && s.unsafe() <= 1, "P(unsafe) " + s.unsafe());
    }
    // tied: one [vocab, hidden] tensor less than the untied twin (1200 x 32 floats = 153,600 bytes)
    Path untied = Fixtures.model(dir.resolve("untied"), GuardFamily.QWEN3GUARD_GEN,
        qwenLike(GuardFamily.QWEN3GUARD_GEN).withTiedEmbeddings(false));
    long saved = Files.size(untied.resolve("model.onnx")) - Files.size(m.resolve("model.onnx"));
    assertTrue(saved > 150_000 && saved < 160_000, "bytes saved by tying: " + saved);
  }

  @Test
  void gemmaSpecifics_loadAndClassifyAsShieldGemma() {
    TinyDecoderFixture.Config cfg = Fixtures.config(GuardFamily.SHIELDGEMMA).withSize(2, 32, 4, 2, 64, 1200)
        .withHeadDim(16).withGemma(true).withTiedEmbeddings(true);
    Path m = Fixtures.model(dir.resolve("gemma"), GuardFamily.SHIELDGEMMA, cfg);
    try (DecoderGuardClassifier c = DecoderGuardClassifier.load(m)) {
      Scores s = c.classify(ClassificationRequest.of(Conversation.ofPrompt("How do I bake bread?"),
          GuardFamily.SHIELDGEMMA.nativeTaxonomy()));
      assertTrue(s.unsafe() >= 0 && s.unsafe() <= 1, "P(unsafe) " + s.unsafe());
      assertEquals(GuardFamily.SHIELDGEMMA.nativeTaxonomy().size(), s.categories().size());
    }
  }

  @Test
  void externalData_weightsLeaveTheProtobuf_andScoresEqualTheInlineTwin() throws Exception {
    // hidden 256 x vocab 1200 x 4 B = 1.2 MB: the embedding (and only it) is over the 1 MiB external threshold
    TinyDecoderFixture.Config inline = Fixtures.config(GuardFamily.LLAMA_GUARD_3).withSize(2, 256, 4, 2, 256, 1200);
    Path a = Fixtures.model(dir.resolve("inline"), GuardFamily.LLAMA_GUARD_3, inline);
    Path b = Fixtures.model(dir.resolve("external"), GuardFamily.LLAMA_GUARD_3, inline.withExternalData(true));
    Path data = b.resolve(TinyDecoderFixture.EXTERNAL_DATA);
    assertTrue(Files.size(data) >= 1200L * 256 * 4, "external data " + Files.size(data));
    assertTrue(Files.size(b.resolve("model.onnx")) < Files.size(a.resolve("model.onnx")) - 1_200_000L);
    assertTrue(ModelManifest.read(b).files().containsKey(TinyDecoderFixture.EXTERNAL_DATA),
        "the manifest checksums the data file too");
    try (DecoderGuardClassifier ca = DecoderGuardClassifier.load(a);
        DecoderGuardClassifier cb = DecoderGuardClassifier.load(b)) {
      assertEquals(ca.classify(PROMPT).unsafe(), cb.classify(PROMPT).unsafe(), 1e-6);
    }
  }

  @Test
  void int4_withExternalDataAndGemma_loadsAndClassifies() {
    TinyDecoderFixture.Config cfg = Fixtures.config(GuardFamily.SHIELDGEMMA).withSize(2, 64, 4, 2, 128, 1200)
        .withHeadDim(32).withGemma(true).withTiedEmbeddings(true).withInt4(true).withExternalData(true);
    Path m = Fixtures.model(dir.resolve("gemma-q4"), GuardFamily.SHIELDGEMMA, cfg);
    try (DecoderGuardClassifier c = DecoderGuardClassifier.load(m)) {
      double u = c.classify(ClassificationRequest.of(Conversation.ofPrompt("How do I bake bread?"),
          GuardFamily.SHIELDGEMMA.nativeTaxonomy())).unsafe();
      assertTrue(u >= 0 && u <= 1, "P(unsafe) " + u);
    }
  }

  /**
   * The int4 model is its fp32 twin's weights quantized (4 bits, blocks of 32, absmax / 7) and run with int8
   * activations (accuracy level 4). Tolerance: the logits' RMS difference is under 35% of the fp32 logits' RMS
   * (4-bit rounding of Gaussian weights is about 10% noise per matrix, over 2 layers and the head; measured
   * 18-26% for these four configurations), their correlation over 0.93 (measured 0.967-0.984; a model with
   * another seed: near 0), and P(unsafe) through the classifier within 0.2 (measured 0.01-0.12).
   */
  @Test
  void int4Twin_logitsAgreeWithFp32WithinTheStatedTolerance() throws Exception {
    for (TinyDecoderFixture.Config base : new TinyDecoderFixture.Config[] {
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withSize(2, 64, 4, 2, 128, 1200).withTiedEmbeddings(true),
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withSize(2, 64, 4, 2, 128, 1200).withHeadDim(32)
            .withQkNorm(true).withTiedEmbeddings(true),
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withSize(2, 64, 4, 2, 128, 1200),
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withSize(2, 64, 4, 2, 128, 1200).withHeadDim(32)
            .withGemma(true).withTiedEmbeddings(true)}) {
      String name = "twin" + Integer.toHexString(base.hashCode());
      String label = "tied=" + base.tiedEmbeddings() + " qkNorm=" + base.qkNorm() + " gemma=" + base.gemma()
          + " headDim=" + base.headDim();
      Path f = Fixtures.model(dir.resolve(name + "-f32"), GuardFamily.LLAMA_GUARD_3, base);
      Path q = Fixtures.model(dir.resolve(name + "-q4"), GuardFamily.LLAMA_GUARD_3, base.withInt4(true));
      long[] ids = {1, 17, 240, 5, 999, 64, 3, 812, 77, 450, 12, 1100};
      float[] lf = logits(f.resolve("model.onnx"), base, ids);
      float[] lq = logits(q.resolve("model.onnx"), base, ids);
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < lf.length; i++) {
        diff += (lf[i] - lq[i]) * (double) (lf[i] - lq[i]);
        norm += lf[i] * (double) lf[i];
      }
      double relRms = Math.sqrt(diff / norm);
      double corr = correlation(lf, lq);
      String what = label + ": relative RMS " + relRms + ", correlation " + corr;
      System.out.println("int4 twin " + what);
      assertTrue(relRms < 0.35, what);
      assertTrue(corr > 0.93, what);
      // the check can fail: the int4 model of another seed is not a twin
      Path other = Fixtures.model(dir.resolve(name + "-q4-other"), GuardFamily.LLAMA_GUARD_3,
          base.withInt4(true).withSeed(base.seed() + 1));
      double otherCorr = correlation(lf, logits(other.resolve("model.onnx"), base, ids));
      assertTrue(Math.abs(otherCorr) < 0.5, label + ": another seed's correlation " + otherCorr);
      try (DecoderGuardClassifier cf = DecoderGuardClassifier.load(f);
          DecoderGuardClassifier cq = DecoderGuardClassifier.load(q)) {
        double uf = cf.classify(PROMPT).unsafe();
        double uq = cq.classify(PROMPT).unsafe();
        System.out.println("int4 twin P(unsafe) fp32 " + uf + " int4 " + uq);
        assertEquals(uf, uq, 0.2, what);
      }
    }
  }

  private static double correlation(float[] a, float[] b) {
    double sa = 0;
    double sb = 0;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < a.length; i++) {
      sa += a[i];
      sb += b[i];
      sab += a[i] * (double) b[i];
      saa += a[i] * (double) a[i];
      sbb += b[i] * (double) b[i];
    }
    int n = a.length;
    return (sab - sa * sb / n) / Math.sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
  }

  /** Every position's logits for {@code ids}, one prefill from an empty cache. */
  private static float[] logits(Path model, TinyDecoderFixture.Config c, long[] ids) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    long[] pos = new long[ids.length];
    long[] mask = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      pos[i] = i;
      mask[i] = 1;
    }
    Map<String, OnnxTensor> in = new HashMap<>();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(model.toString(), o)) {
      long[] shape = {1, ids.length};
      in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      in.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(pos), shape));
      long[] empty = {1, c.kvHeads(), 0, c.headDim()};
      for (int l = 0; l < c.layers(); l++) {
        in.put("past_key_values." + l + ".key", OnnxTensor.createTensor(env, FloatBuffer.allocate(0), empty));
        in.put("past_key_values." + l + ".value", OnnxTensor.createTensor(env, FloatBuffer.allocate(0), empty));
      }
      try (OrtSession.Result r = s.run(in, java.util.Set.of("logits"))) {
        OnnxTensor t = (OnnxTensor) r.get("logits").orElseThrow();
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }
}
