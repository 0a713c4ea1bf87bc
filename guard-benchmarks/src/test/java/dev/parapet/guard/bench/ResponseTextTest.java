package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseTextTest {

  @Test
  void tokens_sameCount_sameTokensAndPrefixOfLonger() {
    List<String> a = ResponseText.tokens(300);
    assertEquals(300, a.size());
    assertEquals(a, ResponseText.tokens(300));
    assertEquals(a, ResponseText.tokens(600).subList(0, 300));
  }

  @Test
  void tokens_long_hasSentenceEndsEveryFewWords() {
    List<String> t = ResponseText.tokens(2048);
    long periods = t.stream().filter(s -> s.equals(".")).count();
    // a sentence end every 11 to 25 stream tokens
    assertTrue(periods >= 2048 / 25 && periods <= 2048 / 11, "sentence ends: " + periods);
    assertFalse(t.stream().anyMatch(String::isEmpty));
  }

  @Test
  void tokens_negative_throws() {
    assertThrows(IllegalArgumentException.class, () -> ResponseText.tokens(-1));
  }

  @Test
  void mixedPrompts_count_distinctLengthsWithinBounds() {
    List<String> p = ResponseText.mixedPrompts(32);
    assertEquals(32, p.size());
    assertTrue(p.stream().mapToInt(s -> s.split(" +").length).distinct().count() > 5);
    assertTrue(p.stream().allMatch(s -> !s.isBlank() && s.equals(s.strip())));
  }
}
