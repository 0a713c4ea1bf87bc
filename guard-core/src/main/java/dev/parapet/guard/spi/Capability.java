package dev.parapet.guard.spi;

/** What a {@link Classifier} can do, as reported in {@link ClassifierInfo}. Immutable (an enum), so thread-safe. */
public enum Capability {
  /** Judges user prompts. */
  PROMPT,
  /** Judges assistant responses in the context of their prompt. */
  RESPONSE,
  /** Reports a score per taxonomy category, not only P(unsafe). */
  CATEGORY_SCORES,
  /** Reports a three-level severity (safe / controversial / unsafe). */
  SEVERITY_LEVELS,
  /** Accepts taxonomies other than its native one (categories defined at run time). */
  CUSTOM_TAXONOMY,
  /** Its batch call is cheaper than one call per request. */
  BATCH,
  /** Offers {@link Classifier#incremental()} for streaming. */
  INCREMENTAL
}
