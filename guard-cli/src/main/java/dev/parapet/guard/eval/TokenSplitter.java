package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a response into stream pieces the way an LLM streams it: word pieces that keep their leading
 * whitespace ({@code "Hello", " world", "!\n"} style), so that concatenating the pieces gives back the text
 * exactly. Stateless; thread-safe.
 */
public final class TokenSplitter {
  private static final Pattern PIECE = Pattern.compile("\\s*\\S+");

  private TokenSplitter() {}

  /** Word pieces with their leading whitespace; trailing whitespace joins the last piece. */
  public static List<String> words(String text) {
    requireNonNull(text, "text");
    List<String> out = new ArrayList<>();
    Matcher m = PIECE.matcher(text);
    int end = 0;
    while (m.find()) {
      out.add(m.group());
      end = m.end();
    }
    if (end < text.length()) {
      if (out.isEmpty()) {
        out.add(text.substring(end));
      } else {
        out.set(out.size() - 1, out.get(out.size() - 1) + text.substring(end));
      }
    }
    return out;
  }

  /** Word pieces grouped {@code perStep} at a time (the last group may be shorter). */
  public static List<String> steps(String text, int perStep) {
    if (perStep < 1) {
      throw new IllegalArgumentException("tokens per step must be >= 1, was " + perStep);
    }
    List<String> words = words(text);
    if (perStep == 1) {
      return words;
    }
    List<String> out = new ArrayList<>((words.size() + perStep - 1) / perStep);
    for (int i = 0; i < words.size(); i += perStep) {
      out.add(String.join("", words.subList(i, Math.min(words.size(), i + perStep))));
    }
    return out;
  }
}
