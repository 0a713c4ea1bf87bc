package dev.parapet.guard.text;

import java.util.Set;

/**
 * The ROT13 view and the cheap test for when it can help. Stateless (constants only), so thread-safe.
 *
 * <p>ROT13 is its own inverse and turns any Latin text into other Latin text, so it must not be built for every
 * input (it would double the cost of ordinary text). It is built only when the text reads as ROT13'd English:
 * among its first {@value #SAMPLE_WORDS} ASCII words, at least {@value #MIN_HITS} and at least a third of the
 * words become common English words under ROT13, and more than twice as many as are common English words
 * already. Ordinary English fails the last test at once; non-English Latin text rarely passes the first.
 */
final class Rot13 {
  static final int SAMPLE_WORDS = 64;
  static final int MIN_HITS = 2;

  /**
   * About 150 of the most frequent English words, plus a few words of requests ("make", "how", "build"). Small
   * and fixed on purpose: it only has to tell English from ROT13'd English, not to know the language.
   */
  private static final Set<String> COMMON = Set.of(
      "the", "be", "to", "of", "and", "a", "in", "that", "have", "i", "it", "for", "not", "on", "with", "he",
      "as", "you", "do", "at", "this", "but", "his", "by", "from", "they", "we", "say", "her", "she", "or", "an",
      "will", "my", "one", "all", "would", "there", "their", "what", "so", "up", "out", "if", "about", "who",
      "get", "which", "go", "me", "when", "make", "can", "like", "time", "no", "just", "him", "know", "take",
      "people", "into", "year", "your", "good", "some", "could", "them", "see", "other", "than", "then", "now",
      "look", "only", "come", "its", "over", "think", "also", "back", "after", "use", "two", "how", "our",
      "work", "first", "well", "way", "even", "new", "want", "because", "any", "these", "give", "day", "most",
      "us", "is", "are", "was", "were", "been", "has", "had", "did", "does", "am", "where", "why", "should",
      "tell", "write", "explain", "show", "help", "need", "step", "steps", "home", "build", "create", "find",
      "without", "someone", "something", "best", "easy", "really", "very", "much", "many", "more",
      "please", "here", "let", "put", "keep", "made", "said", "each", "those", "story", "kill",
      "instructions", "guide", "buy", "money", "person", "thing", "things");

  private Rot13() {}

  /** True when {@code text} reads as ROT13'd English (see the class comment); cheap for ordinary text. */
  static boolean worthIt(String text) {
    int words = 0;
    int plainHits = 0;
    int rotHits = 0;
    int n = text.length();
    int i = 0;
    char[] buf = new char[24];
    while (i < n && words < SAMPLE_WORDS) {
      while (i < n && !isAsciiLetter(text.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && isAsciiLetter(text.charAt(i))) {
        i++;
      }
      int len = i - start;
      if (len == 0) {
        break;
      }
      words++;
      if (len > buf.length) {
        continue; // no common word is that long
      }
      for (int k = 0; k < len; k++) {
        buf[k] = Character.toLowerCase(text.charAt(start + k));
      }
      String w = new String(buf, 0, len);
      if (COMMON.contains(w)) {
        plainHits++;
      }
      if (COMMON.contains(of(w))) {
        rotHits++;
      }
    }
    return rotHits >= MIN_HITS && rotHits * 3 >= words && rotHits > 2 * plainHits;
  }

  /** ROT13 of the ASCII letters; every other char is kept, so surrogate pairs stay intact. */
  static String of(String text) {
    char[] c = text.toCharArray();
    for (int i = 0; i < c.length; i++) {
      char x = c[i];
      if (x >= 'a' && x <= 'z') {
        c[i] = (char) ('a' + (x - 'a' + 13) % 26);
      } else if (x >= 'A' && x <= 'Z') {
        c[i] = (char) ('A' + (x - 'A' + 13) % 26);
      }
    }
    return new String(c);
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
