package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class WholeTextSinkTest {

  @Test
  void onToken_everyToken_checksWholeTextEachTime() {
    CountingClassifier c = new CountingClassifier();
    try (WholeTextSink sink = new WholeTextSink(c, "prompt", 1)) {
      assertNotNull(sink.onToken("Hello"));
      assertNotNull(sink.onToken(" world"));
      assertEquals(2, sink.checks());
    }
    assertEquals(List.of("Hello", "Hello world"), c.judged);
  }

  @Test
  void onToken_every32_checksOncePer32TokensAfterSkippedPrefix() {
    CountingClassifier c = new CountingClassifier();
    List<String> tokens = ResponseText.tokens(96);
    try (WholeTextSink sink = new WholeTextSink(c, "prompt", 32)) {
      tokens.subList(0, 64).forEach(sink::skip);
      for (int i = 64; i < 95; i++) {
        assertNull(sink.onToken(tokens.get(i)));
      }
      assertNotNull(sink.onToken(tokens.get(95)));
      assertEquals(1, sink.checks());
    }
    assertEquals(List.of(ResponseText.join(tokens)), c.judged);
  }

  @Test
  void constructor_zeroInterval_throws() {
    assertThrows(IllegalArgumentException.class, () -> new WholeTextSink(new CountingClassifier(), "p", 0));
  }
}
