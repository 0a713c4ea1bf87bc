package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parapet.guard.text.TextViews;
import java.text.Normalizer;

/**
 * Fuzzes the input handling every check goes through: {@link TextNormalizer#clean} and the text views. For any
 * string: nothing is thrown; the output holds no lone surrogates, no removable (control, zero-width, bidi)
 * characters; it is NFKC and cleaning is idempotent; every view is again free of lone surrogates; the ROT13 view
 * keeps the length and is never built on its own output. Inputs are
 * read as UTF-16LE (see {@link #utf16}); seeds in {@code TextNormalizerFuzzTestInputs/}.
 */
class TextNormalizerFuzzTest {
  private static final TextViews ALL = TextViews.defaults();

  @FuzzTest(maxDuration = "60s")
  void clean(byte[] data) {
    String text = utf16(data);
    String out = TextNormalizer.clean(text);
    assertClean(out, text);
    assertTrue(Normalizer.isNormalized(out, Normalizer.Form.NFKC), () -> "not NFKC: " + escape(out));
    assertEquals(out, TextNormalizer.clean(out), () -> "not idempotent for " + escape(text));
  }

  @FuzzTest(maxDuration = "60s")
  void views(byte[] data) {
    String text = utf16(data);
    String cleaned = TextNormalizer.clean(text);
    for (TextViews.View v : ALL.of(cleaned)) {
      assertFalse(v.text().equals(cleaned), () -> "view " + v.name() + " equals its input");
      assertNoLoneSurrogate(v.text(), v.name() + " of " + escape(text));
      if (v.name().equals("rot13")) {
        // ROT13 maps letters to letters one for one, and is never built again on its own output (no ping-pong)
        assertEquals(cleaned.length(), v.text().length(), () -> "rot13 changed the length of " + escape(text));
        assertTrue(ALL.of(v.text()).stream().noneMatch(w -> w.name().equals("rot13")),
            () -> "rot13 view built on its own output for " + escape(text));
      }
    }
  }

  private static void assertClean(String out, String in) {
    assertNoLoneSurrogate(out, escape(in));
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      int at = i;
      assertFalse(TextNormalizer.removable(c),
          () -> "removable U+" + Integer.toHexString(c) + " at " + at + " survived cleaning of " + escape(in));
    }
  }

  private static void assertNoLoneSurrogate(String s, String what) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
        continue;
      }
      int at = i;
      assertFalse(Character.isSurrogate(c), () -> "lone surrogate at " + at + " in " + what);
    }
  }

  /**
   * Each byte pair is one UTF-16 char (little-endian), taken as is, so that the fuzzer reaches every char, lone
   * surrogates included (UTF-8 cannot carry them, and the JDK's UTF-16 decoder replaces them).
   */
  static String utf16(byte[] data) {
    char[] chars = new char[data.length / 2];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) ((data[2 * i] & 0xff) | (data[2 * i + 1] & 0xff) << 8);
    }
    return new String(chars);
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().limit(200).forEach(cp -> {
      if (cp >= 0x20 && cp < 0x7f) {
        sb.appendCodePoint(cp);
      } else {
        sb.append(String.format("\\u{%x}", cp));
      }
    });
    return sb.toString();
  }
}
