package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.Arrays;
import java.util.Locale;

/**
 * The guard model families whose prompt formats Parapet renders. The {@code family} key of
 * {@code parapet-model.json} names one by {@link #id()}. Immutable and thread-safe.
 */
public enum GuardFamily {
  /** Meta Llama Guard 3 (1B: S1-S13, 8B: S1-S14); Hugging Face chat template. */
  LLAMA_GUARD_3("llama-guard-3"),
  /** Meta Llama Guard 4 (12B); the prompt is a reconstruction (see {@code LlamaGuardFormat}). */
  LLAMA_GUARD_4("llama-guard-4"),
  /** Qwen3Guard-Gen (0.6B/4B/8B): Safe / Controversial / Unsafe plus categories; reconstructed template. */
  QWEN3GUARD_GEN("qwen3guard-gen"),
  /** Google ShieldGemma (v1, 2B/9B/27B): one policy per prompt, P(Yes). */
  SHIELDGEMMA("shieldgemma");

  private final String id;

  GuardFamily(String id) {
    this.id = id;
  }

  /** The name used in parapet-model.json. */
  public String id() {
    return id;
  }

  /**
   * The family with this id (case-insensitive).
   *
   * @throws IllegalArgumentException listing the known ids
   */
  public static GuardFamily parse(String id) {
    requireNonNull(id, "id");
    String s = id.strip().toLowerCase(Locale.ROOT);
    for (GuardFamily f : values()) {
      if (f.id.equals(s)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown guard family '" + id + "'; known: "
        + Arrays.stream(values()).map(GuardFamily::id).toList());
  }

  /** The taxonomy the model was trained on (Llama Guard 3: the 1B's S1-S13; the 8B export names its own). */
  public Taxonomy nativeTaxonomy() {
    return switch (this) {
      case LLAMA_GUARD_3, LLAMA_GUARD_4 -> Natives.LLAMA_GUARD_3_1B;
      case QWEN3GUARD_GEN -> Natives.QWEN3GUARD;
      case SHIELDGEMMA -> Natives.SHIELDGEMMA;
    };
  }

  /** Immutable taxonomies, parsed once on first use (lazy holder). */
  private static final class Natives {
    static final Taxonomy LLAMA_GUARD_3_1B = Taxonomies.llamaGuard3OneB();
    static final Taxonomy QWEN3GUARD = Qwen3GuardFormat.nativeTaxonomy();
    static final Taxonomy SHIELDGEMMA = ShieldGemmaFormat.nativeTaxonomy();
  }

  @Override
  public String toString() {
    return id;
  }
}
