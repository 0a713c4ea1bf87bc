package dev.parapet.guard.policy;

/**
 * What a triggered rule does. Ordered by severity: the verdict takes the most severe triggered action.
 * Immutable (an enum), so thread-safe.
 */
public enum Action {
  /** Let it through (a rule that never triggers; {@code off} in a spec). */
  ALLOW,
  /** Let it through, but mark the verdict so the application can log or review it. */
  FLAG,
  /** Stop it. */
  BLOCK
}
