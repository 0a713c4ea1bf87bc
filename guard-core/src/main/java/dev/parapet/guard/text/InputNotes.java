package dev.parapet.guard.text;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Note;
import dev.parapet.guard.spi.Classifier;
import java.util.Optional;
import java.util.Set;

/**
 * The notes a {@code Guard} adds to every classifier's scores from the judged text itself, which the policy reads:
 * {@link Note.Kind#TOKEN_POOR} and {@link Note.Kind#LANGUAGE_UNSUPPORTED}. Stateless and thread-safe.
 *
 * <ul>
 *   <li><b>Token-poor</b>: the judged text (normalized) has no run of two letters or digits ("?", "...", "a",
 *       emoji only, a lone U+FFFD), is only special-token names ("[CLS]", "[PAD]"), or, for a prompt, is exactly
 *       one courtesy phrase of a short list ("Thanks!", "thank you", "ok", "hi", "hello", "bye"). Any other word
 *       goes to the model. Responses get only the no-word and special-name rules: "ok" may answer a harmful
 *       prompt.
 *   <li><b>Unsupported language</b>: only for a classifier that declares languages; the note names the
 *       language ({@code "language: unsupported (es)"}) and is set only when the language is clear (see the
 *       README for the measured false-note rate on English text and the recall per language).
 * </ul>
 */
public final class InputNotes {
  private InputNotes() {}

  /**
   * Wraps {@code classifier} so that its scores carry the notes of the judged (last) turn, incremental streaming
   * scores included. Used by the {@code Guard}.
   */
  public static Classifier wrap(Classifier classifier) {
    return new NotingClassifier(requireNonNull(classifier, "classifier"));
  }

  /**
   * The clear language of {@code text} when it is none of {@code declared}, as a lowercase ISO 639-1 code; empty
   * when the text is in a declared language, its language is not clear, or {@code declared} is empty.
   */
  public static Optional<String> unsupportedLanguage(String text, Set<String> declared) {
    return LanguageCheck.unsupported(requireNonNull(text, "text"), requireNonNull(declared, "declared"));
  }

  /** Whether a prompt ({@code prompt}) or response text gets the {@link Note.Kind#TOKEN_POOR} note. */
  public static boolean tokenPoor(String text, boolean prompt) {
    return TokenPoor.test(requireNonNull(text, "text"), prompt);
  }
}
