package dev.parapet.guard.policy;

import static java.util.Objects.requireNonNull;

/**
 * A threshold and the action taken when a score reaches it. Immutable and thread-safe.
 *
 * @param action what happens when {@code score >= threshold}
 * @param threshold in [0, 1]
 */
public record Rule(Action action, double threshold) {
  /** A rule that never triggers ({@code off}). */
  public static final Rule OFF = new Rule(Action.ALLOW, 1.0);

  public Rule {
    requireNonNull(action, "action");
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be in [0, 1], was " + threshold);
    }
    // -0.0 passes the range check but is a different record value from 0.0 (and prints as "0"): a parsed
    // "block@-0" would not equal its own round trip (found by PolicySpecFuzzTest)
    threshold += 0.0;
  }

  public static Rule block(double threshold) {
    return new Rule(Action.BLOCK, threshold);
  }

  public static Rule flag(double threshold) {
    return new Rule(Action.FLAG, threshold);
  }

  public boolean isOff() {
    return action == Action.ALLOW;
  }

  /** True when this rule fires for {@code score}. An off rule never fires. */
  public boolean triggers(double score) {
    return !isOff() && score >= threshold;
  }

  /** The spec form: {@code off}, {@code flag@0.7}, {@code block@0.5}. */
  public String toSpec() {
    return isOff() ? "off" : action.name().toLowerCase(java.util.Locale.ROOT) + "@" + PolicySpec.formatNumber(threshold);
  }
}
