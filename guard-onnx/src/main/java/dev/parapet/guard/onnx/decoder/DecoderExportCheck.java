package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.internal.OrtSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks an exported decoder folder against its family's expectations BEFORE any inference runs: the graph's
 * input/output names and shapes (an Optimum decoder-with-past export: {@code input_ids}, {@code attention_mask},
 * {@code past_key_values.{i}.key|value} to {@code logits}, {@code present.{i}.key|value}, one KV head count and
 * head size, float32/float16 KV), the tokenizer's special tokens, and whether the layer / KV-head / head-size /
 * vocabulary shape is one of the family's released checkpoints (a warning only: fine-tunes and test fixtures
 * differ). {@code parapet model verify} runs it as its own step. Stateless.
 */
public final class DecoderExportCheck {
  /** A released checkpoint's shape. */
  private record Shape(String name, GuardFamily family, int layers, int kvHeads, int headDim, int vocab) {}

  private static final List<Shape> RELEASED = List.of(
      new Shape("Llama Guard 3 1B", GuardFamily.LLAMA_GUARD_3, 16, 8, 64, 128_256),
      new Shape("Llama Guard 3 8B", GuardFamily.LLAMA_GUARD_3, 32, 8, 128, 128_256),
      new Shape("Qwen3Guard-Gen-0.6B", GuardFamily.QWEN3GUARD_GEN, 28, 8, 128, 151_936),
      new Shape("Qwen3Guard-Gen-4B", GuardFamily.QWEN3GUARD_GEN, 36, 8, 128, 151_936),
      new Shape("Qwen3Guard-Gen-8B", GuardFamily.QWEN3GUARD_GEN, 36, 8, 128, 151_936),
      new Shape("ShieldGemma 2B", GuardFamily.SHIELDGEMMA, 26, 4, 256, 256_000),
      new Shape("ShieldGemma 9B", GuardFamily.SHIELDGEMMA, 42, 8, 256, 256_000),
      new Shape("ShieldGemma 27B", GuardFamily.SHIELDGEMMA, 46, 16, 128, 256_000));

  /**
   * The outcome: what was found, and warnings that do not fail the check.
   *
   * @param summary one line: family, layers, KV heads, head size, vocabulary, KV type
   * @param warnings shape differences from the family's released checkpoints
   */
  public record Result(String summary, List<String> warnings) {
    public Result {
      requireNonNull(summary, "summary");
      warnings = List.copyOf(warnings);
    }
  }

  private DecoderExportCheck() {}

  /** Whether {@code family} names a decoder family (otherwise the check does not apply). */
  public static Optional<GuardFamily> family(String family) {
    try {
      return Optional.of(GuardFamily.parse(family));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The KV tensors are exactly {@code past_key_values.{i}.key|value} in and {@code present.{i}.key|value} out for
   * i below the layer count: 2 x layers each way. ModelSpec finds the layers as the contiguous run of past keys
   * and checks each one's four tensors; this catches the rest (a KV tensor past the last layer, or with another
   * name), which an export for another layer count or a hand-edited graph has.
   */
  static void checkKvCount(Path model, int layers, java.util.Set<String> inputs, java.util.Set<String> outputs) {
    java.util.Set<String> expected = new java.util.TreeSet<>();
    for (int i = 0; i < layers; i++) {
      expected.add(ModelSpec.pastKey(i));
      expected.add(ModelSpec.pastValue(i));
      expected.add(ModelSpec.presentKey(i));
      expected.add(ModelSpec.presentValue(i));
    }
    List<String> pasts = inputs.stream().filter(n -> n.startsWith(ModelSpec.PAST)).sorted().toList();
    List<String> presents = outputs.stream().filter(n -> n.startsWith(ModelSpec.PRESENT)).sorted().toList();
    List<String> extra = new ArrayList<>();
    for (String n : pasts) {
      if (!expected.contains(n)) {
        extra.add(n);
      }
    }
    for (String n : presents) {
      if (!expected.contains(n)) {
        extra.add(n);
      }
    }
    if (!extra.isEmpty() || pasts.size() != 2 * layers || presents.size() != 2 * layers) {
      throw new ModelLoadException(model + ": " + pasts.size() + " past_key_values.* inputs and " + presents.size()
          + " present.* outputs, expected " + 2 * layers + " each (key and value for each of the " + layers
          + " layers that past_key_values.0.key.." + ModelSpec.pastKey(layers - 1) + " give)"
          + (extra.isEmpty() ? "" : "; unexpected: " + extra) + ". The graph is not one Optimum"
          + " text-generation-with-past export: re-export it, and check config.json's num_hidden_layers");
    }
  }

  /**
   * Runs the check on {@code dir} (the graph is opened on the CPU to read its signature; nothing is run).
   *
   * @throws ModelLoadException naming the file and what does not match
   */
  public static Result check(Path dir, GuardFamily family) {
    requireNonNull(dir, "dir");
    requireNonNull(family, "family");
    ModelManifest manifest = ModelManifest.read(dir);
    Path model = dir.resolve(manifest.modelFile());
    Path tokenizer = dir.resolve("tokenizer.json");
    for (Path p : List.of(model, tokenizer)) {
      if (!Files.isRegularFile(p)) {
        throw new ModelLoadException(p + ": missing; the folder must hold the Optimum export (model.onnx,"
            + " tokenizer.json, config.json)");
      }
    }
    ModelSpec spec;
    try (OrtSessions.Opened opened = OrtSessions.open(model, OnnxOptions.builder().build(), "decoder model")) {
      spec = ModelSpec.read(opened.session(), model.toString(),
          DecoderLoader.readConfig(dir.resolve("config.json")));
      checkKvCount(model, spec.layers(), opened.session().getInputNames(), opened.session().getOutputNames());
    }
    int tokVocab;
    try (ContentTokenizer tok = ContentTokenizer.load(tokenizer)) {
      for (String special : PromptFormat.of(family).requiredSpecialTokens()) {
        if (!tok.specialTokens().contains(special)) {
          throw new ModelLoadException(tokenizer + ": has no special token " + special + ", which the "
              + family.id() + " prompt needs; the tokenizer belongs to another model family");
        }
      }
      tokVocab = tok.vocabSize();
    }
    if (tokVocab > spec.vocab()) {
      throw new ModelLoadException(tokenizer + ": " + tokVocab + " token ids, but the graph's logits have "
          + spec.vocab() + "; tokenizer.json and model.onnx come from different models");
    }
    List<String> warnings = new ArrayList<>();
    List<Shape> ofFamily = RELEASED.stream().filter(s -> s.family() == family).toList();
    Optional<Shape> match = ofFamily.stream().filter(s -> s.layers() == spec.layers()
        && s.kvHeads() == spec.kvHeads() && s.headDim() == spec.headDim() && s.vocab() == spec.vocab()).findFirst();
    if (match.isEmpty() && !ofFamily.isEmpty()) {
      warnings.add("shape " + spec.layers() + " layers / " + spec.kvHeads() + " KV heads / head size "
          + spec.headDim() + " / vocab " + spec.vocab() + " is none of the released " + family.id()
          + " checkpoints (" + ofFamily.stream().map(s -> s.name() + ": " + s.layers() + "/" + s.kvHeads() + "/"
              + s.headDim() + "/" + s.vocab()).toList() + "); fine for a fine-tune, otherwise check the export");
    }
    String summary = family.id() + ": " + spec.layers() + " layers, " + spec.kvHeads() + " KV heads x "
        + spec.headDim() + ", vocab " + spec.vocab() + ", KV " + spec.kvType() + (spec.hasPositionIds()
            ? ", position_ids" : "") + match.map(s -> " (= " + s.name() + ")").orElse("");
    return new Result(summary, warnings);
  }
}
