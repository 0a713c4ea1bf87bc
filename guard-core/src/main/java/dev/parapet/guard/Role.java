package dev.parapet.guard;

/** Who wrote a {@link Turn}. Immutable and thread-safe. */
public enum Role {
  /** Instructions from the application (system prompt). Context only; never the subject of a check. */
  SYSTEM,
  /** The human user. A conversation whose last turn is the user's is a prompt check. */
  USER,
  /** The chat model. A conversation whose last turn is the assistant's is a response check. */
  ASSISTANT,
  /** Output of a tool the assistant called. Context only. */
  TOOL
}
