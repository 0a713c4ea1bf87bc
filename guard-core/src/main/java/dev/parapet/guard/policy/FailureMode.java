package dev.parapet.guard.policy;

/**
 * What a check decides when the classifier throws or times out. The verdict records the failure either way.
 * Immutable (an enum), so thread-safe.
 */
public enum FailureMode {
  /** BLOCK (the default: a guard that cannot judge does not let text through). */
  CLOSED,
  /** ALLOW, with the failure recorded. */
  OPEN
}
