package dev.parapet.guard.policy;

/** How a three-level model's "controversial" level counts. Immutable (an enum), so thread-safe. */
public enum SeverityMode {
  /** Controversial counts as unsafe: the effective P(unsafe) is unsafe + controversial. */
  STRICT,
  /** Controversial counts as safe: the effective P(unsafe) is unsafe alone. */
  LOOSE
}
