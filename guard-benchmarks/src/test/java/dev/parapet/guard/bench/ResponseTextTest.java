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
  void tokens_pieces_sameTextAsWordsWithEachTokenOneWordLevelPiece() {
    List<String> pieces = ResponseText.tokens(1000, ResponseText.Cut.PIECES);
    assertEquals(1000, pieces.size());
    String text = ResponseText.join(pieces);
    assertTrue(ResponseText.join(ResponseText.tokens(1000)).startsWith(text));
    // the decoder fixture's pre-tokenizer: letter runs, digit groups, whitespace runs, punctuation runs
    java.util.regex.Pattern piece = java.util.regex.Pattern.compile("\\p{L}+|\\p{N}{1,3}|\\s+|[^\\s\\p{L}\\p{N}]+");
    for (int i = 0; i < pieces.size(); i++) {
      assertTrue(piece.matcher(pieces.get(i)).matches(), "not one piece: '" + pieces.get(i) + "'");
      if (i > 0) {
        // two neighbours of the same kind would merge into one piece
        assertFalse(Character.isWhitespace(pieces.get(i).charAt(0))
            && Character.isWhitespace(pieces.get(i - 1).charAt(0)));
        assertFalse(Character.isLetter(pieces.get(i).charAt(0)) && Character.isLetter(pieces.get(i - 1).charAt(0)));
      }
    }
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
