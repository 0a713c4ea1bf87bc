package dev.parapet.guard;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The input handling a {@link Guard} applies before its cache and classifier (documented on {@link Guard}).
 * Stateless apart from its limit, so thread-safe.
 */
final class TextNormalizer {
  static final Note EMPTY_NOTE = Note.of(Note.Kind.EMPTY_INPUT, "not classified");

  private final int maxInputChars;

  TextNormalizer(int maxInputChars) {
    if (maxInputChars < 2) {
      throw new IllegalArgumentException("maxInputChars must be >= 2, was " + maxInputChars);
    }
    this.maxInputChars = maxInputChars;
  }

  int maxInputChars() {
    return maxInputChars;
  }

  /** A normalized conversation and the notes saying what was changed in ways that matter to the verdict. */
  record Result(Conversation conversation, List<Note> notes, boolean emptyJudgedText) {}

  /** Normalizes every turn, truncates each turn to maxInputChars (head+tail), reports empty judged text. */
  Result normalize(Conversation conversation) {
    List<Turn> turns = conversation.turns();
    List<Note> notes = new ArrayList<>(1);
    List<Turn> out = new ArrayList<>(turns.size());
    for (int i = 0; i < turns.size(); i++) {
      Turn t = turns.get(i);
      String text = clean(t.text());
      if (text.length() > maxInputChars) {
        String cut = headTail(text, maxInputChars);
        boolean judged = i == turns.size() - 1;
        String kept = cut.length() + " of " + text.length() + " chars kept (head+tail)";
        notes.add(judged ? Note.of(Note.Kind.INPUT_TRUNCATED, kept)
            : Note.of(Note.Kind.CONTEXT_TRUNCATED, "turn " + i + " (" + t.role() + "): " + kept));
        text = cut;
      }
      out.add(t.withText(text));
    }
    Conversation normalized = Conversation.of(out);
    boolean empty = normalized.last().text().isBlank();
    return new Result(normalized, List.copyOf(notes), empty);
  }

  /**
   * Lone surrogates become U+FFFD; NFKC; C0/C1 control characters other than \n \t \r are removed; zero-width
   * characters (U+200B-U+200D, U+2060, U+FEFF) and bidi controls (U+202A-U+202E, U+2066-U+2069) are removed.
   */
  static String clean(String s) {
    // Remove first, then NFKC: removing a zero-width character between "e" and U+0301 after NFKC would leave a
    // decomposed, non-NFKC text whose second cleaning differs (found by TextNormalizerFuzzTest). NFKC itself
    // can map compatibility characters to removable ones, so a changed text is swept once more.
    String removed = removeAll(replaceLoneSurrogates(s));
    if (Normalizer.isNormalized(removed, Normalizer.Form.NFKC)) {
      return removed;
    }
    String nfkc = removeAll(Normalizer.normalize(removed, Normalizer.Form.NFKC));
    return Normalizer.isNormalized(nfkc, Normalizer.Form.NFKC) ? nfkc : Normalizer.normalize(nfkc, Normalizer.Form.NFKC);
  }

  private static String removeAll(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (removable(c)) {
        if (sb == null) {
          sb = new StringBuilder(s.length());
          sb.append(s, 0, i);
        }
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  static boolean removable(char c) {
    if (c == '\n' || c == '\t' || c == '\r') {
      return false;
    }
    return Character.getType(c) == Character.CONTROL
        || (c >= '\u200B' && c <= '\u200D') || c == '\u2060' || c == '\uFEFF'
        // bidi embedding/override/isolate controls: "pipe \u202Ebmob\u202C" must not hide "bomb"
        || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
  }

  static String replaceLoneSurrogates(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean lone;
      if (Character.isHighSurrogate(c)) {
        lone = i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (!lone) {
          if (sb != null) {
            sb.append(c).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        lone = Character.isLowSurrogate(c);
      }
      if (lone && sb == null) {
        sb = new StringBuilder(s.length());
        sb.append(s, 0, i);
      }
      if (sb != null) {
        sb.append(lone ? '\uFFFD' : c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** The first and last max/2 chars (never splitting a surrogate pair), joined by a newline. */
  static String headTail(String s, int max) {
    int half = max / 2;
    int headEnd = half;
    if (Character.isHighSurrogate(s.charAt(headEnd - 1))) {
      headEnd--;
    }
    int tailStart = s.length() - (max - half - 1);
    if (tailStart < s.length() && Character.isLowSurrogate(s.charAt(tailStart))) {
      tailStart++;
    }
    return s.substring(0, headEnd) + "\n" + s.substring(tailStart);
  }
}
