package dev.parapet.guard;

/** What a check judges: the last user prompt, or the last assistant response (in the context of its prompt). */
public enum Target {
  PROMPT,
  RESPONSE
}
