package dev.parapet.guard.text;

import dev.parapet.guard.text.TextViews.View;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds the views of one text. Stateless (constants only), so thread-safe. */
final class ViewBuilder {
  /** Views of texts longer than this are not built: the cost would grow with every view. */
  static final int MAX_VIEW_INPUT_CHARS = 20_000;

  private static final Pattern SPECIAL = Pattern.compile(
      "<\\|[A-Za-z0-9_]{1,40}\\|>|</?(?:end_of_turn|start_of_turn|s|bos|eos|think)>|\\[/?INST\\]",
      Pattern.CASE_INSENSITIVE);
  /** A chat role name right after a (fake) header marker: part of the template, not of any message. */
  private static final Pattern ROLE = Pattern.compile("^\\s*(?:assistant|user|system|model|human|ai|bot)\\b[\\s:]*",
      Pattern.CASE_INSENSITIVE);
  /** At most this many message segments of a text with fake template markers are scored on their own. */
  static final int MAX_SEGMENTS = 4;
  /**
   * A segment is scored alone only with at least this many words: the default model scores one- and two-word
   * texts ("safe", "ok") as unsafe (issue 18, item 11), so scoring the fake answer alone would block every benign
   * text that carries template markers (measured: FPR 1.0 on the catalogue's fake-suffix row).
   */
  static final int MIN_SEGMENT_WORDS = 3;
  private static final Pattern SPACED = Pattern.compile("(?<![\\p{L}\\p{N}])(?:\\p{L} ){2,}\\p{L}(?![\\p{L}\\p{N}])");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{16,}={0,2}");
  private static final Pattern HEX = Pattern.compile("(?:[0-9A-Fa-f]{2}){8,}");
  private static final Pattern URL = Pattern.compile("(?:%[0-9A-Fa-f]{2}){3,}");
  private static final Pattern WORD = Pattern.compile("[\\p{L}0-9@$]+");

  private ViewBuilder() {}

  static List<View> views(String text, TextViews on) {
    List<View> out = new ArrayList<>(2);
    if (text.length() > MAX_VIEW_INPUT_CHARS || text.isBlank()) {
      return out;
    }
    if (on.specialTokens() && text.indexOf('<') + text.indexOf('[') > -2) {
      add(out, text, "special-tokens-stripped", SPECIAL.matcher(text).replaceAll(" "));
      segments(out, text);
    }
    if (on.deSpaced() && text.indexOf(' ') >= 0) {
      Matcher m = SPACED.matcher(text);
      add(out, text, "de-spaced", m.replaceAll(r -> r.group().replace(" ", "")));
    }
    if (on.deLeet()) {
      add(out, text, "de-leet", deLeet(text));
    }
    if (on.skeleton() && Skeleton.AVAILABLE && !isAscii(text)) {
      add(out, text, "skeleton", Skeleton.of(text));
    }
    if (on.decoded()) {
      add(out, text, "decoded", decode(text));
    }
    if (on.rot13() && Rot13.worthIt(text)) {
      add(out, text, "rot13", Rot13.of(text));
    }
    return out;
  }

  /**
   * Each message a fake template marks out ("harm?<|eot_id|>...assistant<|end_header_id|> safe": "harm?" and
   * "safe"), scored on its own: the fake answer after the markers must not dilute the request before them.
   * Only when markers split the text into two or more parts; leading role names are dropped, and parts of fewer
   * than {@link #MIN_SEGMENT_WORDS} words are not scored alone (the stripped view still holds them).
   */
  private static void segments(List<View> out, String text) {
    String[] parts = SPECIAL.split(text, -1);
    List<String> nonBlank = new ArrayList<>(2);
    for (String p : parts) {
      String t = ROLE.matcher(p).replaceFirst("").strip();
      if (t.split("\\s+").length >= MIN_SEGMENT_WORDS && nonBlank.size() < MAX_SEGMENTS) {
        nonBlank.add(t);
      }
    }
    if (nonBlank.size() >= 1 && parts.length >= 2) {
      for (String t : nonBlank) {
        add(out, text, "template-segment", t);
      }
    }
  }

  private static void add(List<View> out, String original, String name, String view) {
    if (!view.equals(original) && !view.isBlank() && out.stream().noneMatch(v -> v.text().equals(view))) {
      out.add(new View(name, view));
    }
  }

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7F) {
        return false;
      }
    }
    return true;
  }

  /** Only tokens that mix letters with leet symbols are changed. */
  static String deLeet(String text) {
    Matcher m = WORD.matcher(text);
    StringBuilder sb = new StringBuilder(text.length());
    boolean changed = false;
    while (m.find()) {
      String w = m.group();
      boolean letter = false;
      boolean leet = false;
      for (int i = 0; i < w.length(); i++) {
        char c = w.charAt(i);
        letter |= Character.isLetter(c);
        leet |= "013457@$".indexOf(c) >= 0;
      }
      String r = w;
      if (letter && leet) {
        StringBuilder t = new StringBuilder(w.length());
        for (int i = 0; i < w.length(); i++) {
          char c = w.charAt(i);
          int k = "013457@$".indexOf(c);
          t.append(k < 0 ? c : "oieastas".charAt(k));
        }
        r = t.toString();
        changed = true;
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(r));
    }
    m.appendTail(sb);
    return changed ? sb.toString() : text;
  }

  /** Segments that decode (one level) to mostly printable text replace their encoded form (ROT13: {@link Rot13}). */
  static String decode(String text) {
    String s = replace(text, BASE64, ViewBuilder::base64);
    s = replace(s, HEX, ViewBuilder::hex);
    s = replace(s, URL, ViewBuilder::url);
    return s;
  }

  private static String replace(String text, Pattern p, java.util.function.Function<String, String> f) {
    Matcher m = p.matcher(text);
    return m.replaceAll(r -> {
      String d = f.apply(r.group());
      return Matcher.quoteReplacement(d != null ? d : r.group());
    });
  }

  private static String base64(String seg) {
    try {
      return printable(Base64.getDecoder().decode(seg));
    } catch (IllegalArgumentException e) {
      return null; // not base64 after all: keep the segment
    }
  }

  private static String hex(String seg) {
    byte[] b = new byte[seg.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(seg.substring(2 * i, 2 * i + 2), 16);
    }
    return printable(b);
  }

  private static String url(String seg) {
    return hex(seg.replace("%", ""));
  }

  /** The UTF-8 text when at least 90% of it is printable, else null. */
  static String printable(byte[] bytes) {
    String s = new String(bytes, StandardCharsets.UTF_8);
    int ok = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\uFFFD' && (c >= ' ' || c == '\n' || c == '\t') && !Character.isISOControl(c)) {
        ok++;
      }
    }
    return s.length() > 0 && ok * 10 >= s.length() * 9 ? s.replaceAll("\\p{Cc}", " ") : null;
  }
}
