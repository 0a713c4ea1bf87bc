package dev.parapet.guard;

/** The outcome of a check. */
public enum Decision {
  ALLOW,
  FLAG,
  BLOCK
}
