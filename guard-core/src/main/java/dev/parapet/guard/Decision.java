package dev.parapet.guard;

/** The outcome of a check. Immutable (an enum), so thread-safe. */
public enum Decision {
  ALLOW,
  FLAG,
  BLOCK
}
