package dev.parapet.guard;

/**
 * What a check judges: the last user prompt, or the last assistant response (in the context of its prompt).
 * Immutable (an enum), so thread-safe.
 */
public enum Target {
  PROMPT,
  RESPONSE
}
