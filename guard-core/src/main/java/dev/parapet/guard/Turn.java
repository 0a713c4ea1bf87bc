package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

/**
 * One message of a {@link Conversation}. Immutable and thread-safe.
 *
 * @param role who wrote it
 * @param text what was written; may be empty, never null
 */
public record Turn(Role role, String text) {
  public Turn {
    requireNonNull(role, "role");
    requireNonNull(text, "text");
  }

  public static Turn user(String text) {
    return new Turn(Role.USER, text);
  }

  public static Turn assistant(String text) {
    return new Turn(Role.ASSISTANT, text);
  }

  public static Turn system(String text) {
    return new Turn(Role.SYSTEM, text);
  }

  /** Returns a copy with other text, same role. */
  public Turn withText(String newText) {
    return new Turn(role, newText);
  }
}
