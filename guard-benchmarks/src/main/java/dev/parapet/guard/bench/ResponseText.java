package dev.parapet.guard.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic, benign English-like text for the benchmarks: a prompt and a response cut into stream tokens
 * the way a chat model emits them (a leading space then a word, punctuation on its own, a sentence end every
 * 10 to 24 words). Immutable and thread-safe.
 *
 * <p>One stream token is one {@code onToken} call; backends may split it into more than one model token,
 * which the benchmarks report.
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

  private ResponseText() {}

  /** The first {@code count} stream tokens of the response (same for every call with the same count). */
  static List<String> tokens(int count) {
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
      out.add(out.isEmpty() ? w : " " + w);
      untilSentenceEnd--;
    }
    return List.copyOf(out);
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
