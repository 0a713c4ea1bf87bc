package dev.parapet.guard.onnx.decoder;

/** How a decoder guard computes per-category scores. */
public enum CategoryMode {
  /** Only P(unsafe); no category scores (cheapest). */
  NONE,
  /**
   * One pass: teacher-force the model's "unsafe" answer up to the category field (Llama Guard: {@code unsafe\nS})
   * and read the distribution over the category tokens; score = P(unsafe) x P(category | unsafe).
   */
  TEACHER_FORCED,
  /**
   * One prompt per category listing only that category, batched; score = P(unsafe) of that prompt. Costs one
   * prompt per category (the policy-prefix cache keeps it to conversation + suffix per category). ShieldGemma
   * always works this way.
   */
  EXACT
}
