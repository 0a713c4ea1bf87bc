package dev.parapet.guard.text;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a (normalized) text has nothing for a model to judge: no run of two letters or digits and at most two
 * of them ("?", "...", "a", emoji, a lone U+FFFD), only special-token names ("[CLS]", "[PAD]", "<s>"), or (a prompt only) exactly one
 * courtesy phrase from a short fixed list ("Thanks!", "ok", "hi"), case- and punctuation-insensitive. Conservative on purpose:
 * any other word, and any other two-word text, goes to the model ("kys", "die", "how to kill"). Stateless.
 */
final class TokenPoor {
  /** Longer texts always have something to judge (and are not scanned further). */
  static final int MAX_CHARS = 64;

  private static final Set<String> COURTESY = Set.of("thanks", "thank you", "thx", "ty", "ok", "okay", "hi",
      "hello", "hey", "bye", "goodbye", "cheers", "thanks a lot", "thank you very much", "good morning",
      "good night");

  // BERT/RoBERTa-style special-token names: text made only of these reads as markup, not words (item 7).
  private static final Pattern SPECIAL_NAMES = Pattern.compile(
      "(?:\\s*(?:\\[(?:CLS|SEP|PAD|UNK|MASK)\\]|</?s>|<pad>|<unk>|<mask>)\\s*)+", Pattern.CASE_INSENSITIVE);

  private TokenPoor() {}

  /**
   * {@code courtesy}: whether the courtesy list applies (prompts only: a response "Thanks!" or "ok" may answer a
   * harmful prompt, and the model judges it in that context).
   */
  static boolean test(String text, boolean courtesy) {
    if (text.length() > MAX_CHARS) {
      return false;
    }
    if (!hasWord(text) || SPECIAL_NAMES.matcher(text).matches()) {
      return true;
    }
    if (!courtesy) {
      return false;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.isLetterOrDigit(cp)) {
        b.appendCodePoint(cp);
      } else if (Character.isWhitespace(cp) && b.length() > 0 && b.charAt(b.length() - 1) != ' ') {
        b.append(' ');
      }
    }
    return COURTESY.contains(b.toString().strip().toLowerCase(Locale.ROOT));
  }

  /**
   * A run of two letters or digits (code points, so one astral letter pair is not two), three single letters or
   * digits in all ("p i p e" is a spaced word, for the de-spaced view), or one Han, Kana or Hangul character
   * (a word on its own).
   */
  private static boolean hasWord(String text) {
    int run = 0;
    int total = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      boolean w = Character.isLetterOrDigit(cp);
      run = w ? run + 1 : 0;
      total += w ? 1 : 0;
      if (run >= 2 || total >= 3 || (w && dense(cp))) {
        return true;
      }
    }
    return false;
  }

  private static boolean dense(int cp) {
    Character.UnicodeScript s = Character.UnicodeScript.of(cp);
    return s == Character.UnicodeScript.HAN || s == Character.UnicodeScript.HIRAGANA
        || s == Character.UnicodeScript.KATAKANA || s == Character.UnicodeScript.HANGUL;
  }
}
