package dev.parapet.guard.policy;

import static java.util.Objects.requireNonNull;

/**
 * A category whose rule fired. Immutable and thread-safe.
 *
 * @param code the taxonomy code
 * @param name the category's name
 * @param score the score that was compared with the threshold (the category score, or P(unsafe) when the
 *     overall score was attributed to this category)
 * @param threshold the rule's threshold
 * @param action the rule's action
 */
public record Triggered(String code, String name, double score, double threshold, Action action) {
  public Triggered {
    requireNonNull(code, "code");
    requireNonNull(name, "name");
    requireNonNull(action, "action");
  }
}
