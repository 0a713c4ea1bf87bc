package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.policy.Action;

/** The outcome of a check. Immutable (an enum), so thread-safe. */
public enum Decision {
  ALLOW,
  FLAG,
  BLOCK;

  /**
   * The decision a policy action leads to: the one place that maps {@link Action} to {@code Decision}. It lives
   * here, not in {@code policy}, so that the dependency runs one way only (this package uses {@code policy},
   * never the reverse).
   */
  public static Decision of(Action action) {
    switch (requireNonNull(action, "action")) {
      case BLOCK:
        return BLOCK;
      case FLAG:
        return FLAG;
      default:
        return ALLOW;
    }
  }
}
