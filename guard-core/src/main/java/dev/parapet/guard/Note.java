package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

/**
 * One documented observation on a check, in {@link Verdict#notes()} and {@code Scores.notes()}: what kind of
 * handling it records and the detail that goes with it. Immutable and thread-safe.
 *
 * <p>Code reads the {@link #kind()}; {@link #toString()} is the wire form, the string that verdict JSON, the
 * server, the CLI and eval outputs show ({@code "input-truncated: 30 of 40 chars kept (head+tail)"}), and
 * {@link #parse(String)} reads it back. For every non-empty string {@code s}, {@code parse(s).toString()} equals
 * {@code s}: a note of an unknown kind (from a newer version or another tool) becomes {@link Kind#OTHER} holding
 * the whole text, never an error.
 *
 * @param kind what the note records
 * @param detail the rest of the note after the kind's name (may be empty for a kind that has none, e.g.
 *     {@code "token-poor"}); for {@link Kind#OTHER}, the whole text (not empty)
 */
public record Note(Kind kind, String detail) {

  /** The kinds of note Parapet writes, each with the name that starts its wire form. */
  public enum Kind {
    /**
     * The judged turn was longer than {@code maxInputChars}: {@code "input-truncated: N of M chars kept (head+tail)"}.
     */
    INPUT_TRUNCATED("input-truncated"),
    /** A context turn was cut: {@code "context-truncated: turn i (ROLE): N of M chars kept (head+tail)"}. */
    CONTEXT_TRUNCATED("context-truncated"),
    /** The judged text was empty after normalization: {@code "empty-input: not classified"}. */
    EMPTY_INPUT("empty-input"),
    /** The classifier read only part of the text: {@code "classifier-truncated: N of M tokens read (head+tail)"}. */
    CLASSIFIER_TRUNCATED("classifier-truncated"),
    /**
     * A streamed response was stopped for its length, not classified, and blocked:
     * {@code "response-too-long: N chars > maxResponseChars M"}.
     */
    RESPONSE_TOO_LONG("response-too-long"),
    /** The text view that raised P(unsafe) above the plain text's: {@code "view: de-leet"}. */
    VIEW("view"),
    /**
     * The judged text is not in a language the classifier declares; the detail is the language code:
     * {@code "language: unsupported (es)"}. The policy's {@code unsupported-language} rule decides what it does.
     */
    LANGUAGE_UNSUPPORTED("language: unsupported", " (", ")"),
    /**
     * The judged prompt has no word to judge (punctuation, emoji, a lone letter, special-token names) or is a
     * courtesy phrase alone: {@code "token-poor"}. The policy triggers nothing for it (the scores stay visible).
     */
    TOKEN_POOR("token-poor"),
    /** A note of no kind above (a newer version's, another tool's); its detail is the whole text. */
    OTHER("");

    private final String wireName;
    private final String open;
    private final String close;

    Kind(String wireName) {
      this(wireName, ": ", "");
    }

    Kind(String wireName, String open, String close) {
      this.wireName = wireName;
      this.open = open;
      this.close = close;
    }

    /** The name that starts the wire form ({@code "input-truncated"}); empty for {@link #OTHER}. */
    public String wireName() {
      return wireName;
    }
  }

  public Note {
    requireNonNull(kind, "kind");
    requireNonNull(detail, "detail");
    if (kind == Kind.OTHER && detail.isEmpty()) {
      throw new IllegalArgumentException("a note of kind OTHER holds its whole text, which must not be empty");
    }
  }

  /** A note of {@code kind} with {@code detail} (see the kind for its form). */
  public static Note of(Kind kind, String detail) {
    return new Note(kind, detail);
  }

  /** A note of {@code kind} with no detail (its wire form is the kind's name alone, e.g. {@code "token-poor"}). */
  public static Note of(Kind kind) {
    return new Note(kind, "");
  }

  /**
   * Reads a note's wire form (its {@link #toString()}). A string that starts with no known kind's name (or has
   * the name and separator but no detail) is {@link Kind#OTHER} with the whole string as its detail, so no text is
   * lost. (So an {@code OTHER} note built by hand whose text has a known form reads back as that known kind.)
   *
   * @throws NullPointerException if {@code note} is null
   * @throws IllegalArgumentException if {@code note} is empty (a note says something; skip empty strings when
   *     reading a list)
   */
  public static Note parse(String note) {
    requireNonNull(note, "note");
    if (note.isEmpty()) {
      throw new IllegalArgumentException("a note must not be empty");
    }
    for (Kind k : Kind.values()) {
      if (k == Kind.OTHER || !note.startsWith(k.wireName)) {
        continue;
      }
      if (note.length() == k.wireName.length()) {
        return new Note(k, "");
      }
      String rest = note.substring(k.wireName.length());
      if (rest.startsWith(k.open) && rest.endsWith(k.close) && rest.length() > k.open.length() + k.close.length()) {
        return new Note(k, rest.substring(k.open.length(), rest.length() - k.close.length()));
      }
    }
    return new Note(Kind.OTHER, note);
  }

  /** The wire form: the kind's name, then its separator and the detail when there is one. */
  @Override
  public String toString() {
    if (kind == Kind.OTHER) {
      return detail;
    }
    return detail.isEmpty() ? kind.wireName : kind.wireName + kind.open + detail + kind.close;
  }
}
