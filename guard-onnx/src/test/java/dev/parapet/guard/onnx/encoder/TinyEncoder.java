package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.testing.OnnxGraph;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a tiny, synthetic encoder model folder for tests that must not depend on the trained model: a BERT
 * WordPiece tokenizer with a 30-word vocabulary and an ONNX graph that computes, per row, the masked mean of the
 * token ids and maps it linearly to {@code logits} and {@code embedding}. Every operation is per row, so the
 * model is batch-invariant (padding and neighbours do not change a row's outputs).
 */
final class TinyEncoder {
  static final List<String> WORDS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "bomb",
      "bread", "bake", "build", "how", "to", "i", "do", "make", "recipe", "for", "banana", "good", "what", "is",
      "##s", "?", ".", ",", "!", "pipe", "step", "kill");

  private TinyEncoder() {}

  /** Options for a broken variant. */
  record Variant(boolean withEmbedding, boolean withAttentionMask, int logitsWidth) {
    static Variant ok() {
      return new Variant(true, true, 15);
    }
  }

  static void write(Path dir, Variant v) {
    try {
      Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(), StandardCharsets.UTF_8);
      Files.write(dir.resolve("model.onnx"), model(v));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("name", "tiny-encoder");
    extra.put("taxonomy", "llama-guard-3");
    List<String> labels = new ArrayList<>(List.of("unsafe"));
    for (int i = 1; i <= 14; i++) {
      labels.add("S" + i);
    }
    extra.put("labels", labels);
    extra.put("maxTokens", 16);
    extra.put("promptTokensInResponse", 6);
    ModelManifest.create(dir, "parapet-encoder", extra);
  }

  private static byte[] model(Variant v) {
    OnnxGraph g = new OnnxGraph("tiny-encoder");
    g.input("input_ids", OnnxGraph.INT64, "batch", "seq");
    if (v.withAttentionMask()) {
      g.input("attention_mask", OnnxGraph.INT64, "batch", "seq");
    }
    g.input("token_type_ids", OnnxGraph.INT64, "batch", "seq");
    String ids = g.op("Cast", List.of("input_ids"), OnnxGraph.attrInt("to", OnnxGraph.FLOAT));
    String types = g.op("Cast", List.of("token_type_ids"), OnnxGraph.attrInt("to", OnnxGraph.FLOAT));
    String mask = v.withAttentionMask()
        ? g.op("Cast", List.of("attention_mask"), OnnxGraph.attrInt("to", OnnxGraph.FLOAT))
        : g.op("Add", List.of(g.op("Mul", List.of(ids, g.constFloat(0f))), g.constFloat(1f)));
    String x = g.op("Add", List.of(ids, g.op("Mul", List.of(types, g.constFloat(7f)))));
    String sum = g.op("ReduceSum", List.of(g.op("Mul", List.of(x, mask)), g.constLongs(1)),
        OnnxGraph.attrInt("keepdims", 1));
    String count = g.op("ReduceSum", List.of(mask, g.constLongs(1)), OnnxGraph.attrInt("keepdims", 1));
    String mean = g.op("Mul", List.of(g.op("Div", List.of(sum, count)), g.constFloat(0.1f))); // [b, 1]
    float[] w = new float[v.logitsWidth()];
    float[] b = new float[v.logitsWidth()];
    for (int i = 0; i < w.length; i++) {
      w[i] = 0.3f + 0.05f * i;
      b[i] = -1.5f + 0.1f * i;
    }
    g.node("Add", List.of(g.op("MatMul", List.of(mean, g.floats("w", w, 1, w.length))),
        g.floats("b", b, w.length)), List.of("logits"));
    g.output("logits", OnnxGraph.FLOAT, "batch", (long) v.logitsWidth());
    if (v.withEmbedding()) {
      String e = g.op("Add", List.of(g.op("MatMul", List.of(mean, g.floats("we", new float[] {1f, -0.5f, 0.25f, 2f},
          1, 4))), g.floats("be", new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 4)));
      g.node("LpNormalization", List.of(e), List.of("embedding"), OnnxGraph.attrInt("axis", 1),
          OnnxGraph.attrInt("p", 2));
      g.output("embedding", OnnxGraph.FLOAT, "batch", 4L);
    }
    return g.toBytes();
  }

  static String tokenizerJson() {
    StringBuilder vocab = new StringBuilder();
    for (int i = 0; i < WORDS.size(); i++) {
      vocab.append(i == 0 ? "" : ", ").append('"').append(WORDS.get(i)).append("\": ").append(i);
    }
    StringBuilder added = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      added.append(i == 0 ? "" : ", ").append("{\"id\": ").append(i).append(", \"content\": \"").append(WORDS.get(i))
          .append("\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false,"
              + " \"special\": true}");
    }
    return "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [" + added + "],"
        + " \"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true,"
        + " \"strip_accents\": null, \"lowercase\": true},"
        + " \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}, \"post_processor\": null, \"decoder\": null,"
        + " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\","
        + " \"max_input_chars_per_word\": 100, \"vocab\": {" + vocab + "}}}";
  }
}
