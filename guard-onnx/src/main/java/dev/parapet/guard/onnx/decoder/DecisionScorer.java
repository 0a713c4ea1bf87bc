package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns the option logits a {@link Plan}'s probes read into {@link Scores}, per family: P(unsafe) from the
 * safe/unsafe (or Safe/Unsafe/Controversial) read, category scores as P(flagged) x P(category | flagged),
 * ShieldGemma's P(Yes) per policy, EXACT mode's one prompt per category. Pure functions of the logits, shared by
 * the local decoder and {@link DecoderPrompts.Rendered} (remote log-probabilities), so both score alike.
 */
final class DecisionScorer {
  private DecisionScorer() {}

  /** Scores from one prompt's probe logits ({@code probeLogits[i]}: the option logits of probe i). */
  static Scores toScores(Plan plan, float[][] probeLogits, Truncation truncation) {
    double unsafe = Double.NaN;
    double controversial = Double.NaN;
    Map<String, Double> categories = new LinkedHashMap<>();
    for (int i = 0; i < plan.probes().size(); i++) {
      Plan.ResolvedProbe rp = plan.probes().get(i);
      double[] p = softmax(probeLogits[i]);
      switch (rp.probe().kind()) {
        case BINARY -> unsafe = p[rp.probe().unsafeIndex()];
        case LEVELS -> {
          unsafe = p[1];
          controversial = p[2];
        }
        case CATEGORY -> {
          double flagged = unsafe + (Double.isNaN(controversial) ? 0 : controversial);
          for (int k = 0; k < p.length; k++) {
            categories.put(plan.categoryCodes().get(k), clamp(flagged * p[k]));
          }
        }
        default -> throw new IllegalStateException("unknown probe kind " + rp.probe().kind());
      }
    }
    Scores.Builder b = Scores.builder().unsafe(clamp(unsafe)).categories(categories);
    if (!Double.isNaN(controversial)) {
      b.controversial(Math.min(clamp(controversial), 1 - clamp(unsafe)));
    }
    if (truncation != null) {
      b.truncation(truncation);
    }
    return b.build();
  }

  /** ShieldGemma: {@code yes[k]} is P(Yes) for policy k; P(unsafe) is the largest. */
  static Scores shieldGemmaScores(Plan plan, double[] yes, Truncation truncation) {
    Scores.Builder b = Scores.builder();
    double max = 0;
    for (int k = 0; k < yes.length; k++) {
      b.category(plan.categoryCodes().get(k), clamp(yes[k]));
      max = Math.max(max, yes[k]);
    }
    b.unsafe(clamp(max));
    if (truncation != null) {
      b.truncation(truncation);
    }
    return b.build();
  }

  /** EXACT mode: {@code all[0]} is the full taxonomy's probe logits, {@code all[k + 1]} category k's alone. */
  static Scores exactScores(Plan plan, float[][][] all, Truncation truncation) {
    Scores overall = toScores(plan, all[0], truncation);
    Scores.Builder b = overall.toBuilder();
    for (int k = 0; k < plan.categoryCodes().size(); k++) {
      Scores one = toScores(plan, all[k + 1], truncation);
      b.category(plan.categoryCodes().get(k), clamp(one.unsafe() + one.controversial().orElse(0)));
    }
    return b.build();
  }

  /** P(Yes) of a ShieldGemma read: the unsafe option of the plan's one probe. */
  static double yes(Plan plan, float[] optionLogits) {
    return softmax(optionLogits)[plan.probes().get(0).probe().unsafeIndex()];
  }

  /** Softmax over the logits of {@code ids} in a full vocabulary row (tests compare against it). */
  static double[] softmax(float[] logits, long[] ids) {
    float[] picked = new float[ids.length];
    for (int i = 0; i < ids.length; i++) {
      picked[i] = logits[(int) ids[i]];
    }
    return softmax(picked);
  }

  /** Softmax over a probe's option logits, in double precision. */
  static double[] softmax(float[] optionLogits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : optionLogits) {
      max = Math.max(max, l);
    }
    double[] p = new double[optionLogits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(optionLogits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** A probability in [0, 1]; NaN (a broken export) is an error, not a silent 0 or 1. */
  static double clamp(double p) {
    if (Double.isNaN(p)) {
      throw new ClassificationException("the model produced NaN logits");
    }
    return Math.min(1.0, Math.max(0.0, p));
  }
}
