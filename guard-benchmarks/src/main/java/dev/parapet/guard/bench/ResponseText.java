package dev.parapet.guard.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic, benign English-like text for the benchmarks: a prompt and a response cut into stream tokens
 * (one {@code onToken} call each), with a sentence end every 10 to 24 words. Immutable and thread-safe.
 *
 * <p>Two cuts of the same text, so that one stream token is about one model token on each backend:
 * {@link Cut#WORDS} emits {@code " word"} (a leading space then a word, punctuation on its own), as a BPE or
 * WordPiece chat model does; {@link Cut#PIECES} emits the space and the word as separate tokens, which is
 * exactly one token each for the decoder fixture's word-level tokenizer (it splits whitespace, letter runs and
 * punctuation runs apart).
 */
final class ResponseText {
  static final String PROMPT =
      "Can you explain how a sourdough starter works and how I should look after it during a cold winter"
          + " so that the bread still rises well?";

  private static final String[] WORDS = {
    "the", "starter", "is", "a", "culture", "of", "wild", "yeast", "and", "lactic", "bacteria", "that",
    "lives", "in", "flour", "water", "mixture", "you", "feed", "it", "every", "day", "with", "fresh",
    "when", "kitchen", "cold", "slows", "down", "so", "keep", "jar", "near", "warm", "spot", "like",
    "oven", "light", "or", "top", "fridge", "bubbles", "show", "active", "after", "feeding", "should",
    "double", "size", "within", "few", "hours", "if", "does", "not", "try", "using", "whole", "wheat",
    "rye", "which", "gives", "more", "food", "dough", "bread", "rise", "longer", "proof", "time", "also",
    "helps", "flavour", "develop", "many", "bakers", "prefer", "overnight", "rest", "counter", "bowl",
    "cover", "towel", "stretch", "fold", "shape", "loaf", "bake", "hot", "pot", "lid", "steam", "crust",
    "crumb", "open", "soft", "golden", "brown", "cool", "rack", "before", "slicing", "enjoy", "your",
    "homemade", "sandwich", "toast", "butter", "jam", "weekend", "morning", "simple", "recipe", "patience",
    "practice", "temperature", "matters", "most", "winter", "months", "because", "yeast", "prefers",
    "between", "twenty", "thirty", "degrees", "celsius", "measure", "grams", "scale", "ratio", "salt",
  };

  /** How the response is cut into stream tokens. */
  enum Cut {
    /** {@code " word"}, {@code "."}: one stream token per word. */
    WORDS,
    /** {@code " "}, {@code "word"}, {@code "."}: spaces are tokens of their own. */
    PIECES
  }

  private ResponseText() {}

  /** The first {@code count} stream tokens of the response cut into {@link Cut#WORDS}. */
  static List<String> tokens(int count) {
    return tokens(count, Cut.WORDS);
  }

  /**
   * The first {@code count} stream tokens of the response (the same for every call with the same arguments; a
   * shorter list is a prefix of a longer one).
   */
  static List<String> tokens(int count, Cut cut) {
    if (count < 0) {
      throw new IllegalArgumentException("token count must be >= 0, was " + count);
    }
    Random random = new Random(20260523L);
    List<String> out = new ArrayList<>(count);
    int untilSentenceEnd = 10 + random.nextInt(15);
    boolean capitalize = true;
    while (out.size() < count) {
      if (untilSentenceEnd == 0) {
        out.add(".");
        untilSentenceEnd = 10 + random.nextInt(15);
        capitalize = true;
        continue;
      }
      String w = WORDS[random.nextInt(WORDS.length)];
      if (capitalize) {
        w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
        capitalize = false;
      }
      if (out.isEmpty()) {
        out.add(w);
      } else if (cut == Cut.WORDS) {
        out.add(" " + w);
      } else {
        out.add(" ");
        if (out.size() < count) {
          out.add(w);
        }
      }
      untilSentenceEnd--;
    }
    return List.copyOf(out);
  }

  /** Every word the response and the prompt use, for a tokenizer's vocabulary. */
  static String vocabularyText() {
    StringBuilder sb = new StringBuilder(PROMPT);
    for (String w : WORDS) {
      sb.append(' ').append(w).append(' ').append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
    }
    return sb.append('.').toString();
  }

  /** The concatenation of {@code tokens}. */
  static String join(List<String> tokens) {
    StringBuilder sb = new StringBuilder(tokens.size() * 7);
    for (String t : tokens) {
      sb.append(t);
    }
    return sb.toString();
  }

  /**
   * {@code count} prompts of mixed lengths (about 8 to 60 words), for batch benchmarks; deterministic.
   */
  static List<String> mixedPrompts(int count) {
    Random random = new Random(7L);
    List<String> out = new ArrayList<>(count);
    List<String> words = tokens(4096);
    int at = 0;
    for (int i = 0; i < count; i++) {
      int n = 8 + random.nextInt(53);
      if (at + n > words.size()) {
        at = 0;
      }
      out.add(join(words.subList(at, at + n)).strip());
      at += n;
    }
    return List.copyOf(out);
  }
}
