package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.spi.ClassificationRequest;

/**
 * Benchmark-only view of how many tokens each part of a decoder prompt has (the FLOP ratios in RESULTS.md need
 * exact counts); lives in the decoder's package to read its package-private prompt preparation.
 */
public final class PromptTokens {
  private PromptTokens() {}

  /**
   * {prefix (bos + policy), conversation before the judged text (+ its label), judged text + trailer, suffix +
   * forced answer} of the request's prompt, in tokens.
   */
  public static int[] of(DecoderGuardClassifier c, ClassificationRequest r) {
    PromptPreparer.Prepared p = c.preparer().prepare(r, DecoderOptions.defaults().categoryMode());
    return new int[] {p.plan().prefix().length, p.head().length, p.judged().length,
        p.plan().maxSuffixLength() + p.plan().chain().length};
  }
}
