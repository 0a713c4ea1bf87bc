package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

class BareOrtSessionTest {

  /** LangChain4j's MiniLM-L6 int8 (a dependency of the peer benchmark): inputs ids, mask, token types. */
  private static byte[] miniLm() throws Exception {
    try (InputStream in = BareOrtSessionTest.class.getResourceAsStream("/all-minilm-l6-v2-q.onnx")) {
      assertNotNull(in, "all-minilm-l6-v2-q.onnx is not on the test classpath");
      return in.readAllBytes();
    }
  }

  @Test
  void run_encoderWithThreeInputs_returnsHiddenStatesPerToken() throws Exception {
    long[] ids = {101, 7592, 2088, 102};
    try (BareOrtSession s = new BareOrtSession(miniLm(), ids, new long[] {1, 1, 1, 1}, 1)) {
      assertArrayEquals(new long[] {1, 4, 384}, s.run());
      assertArrayEquals(new long[] {1, 4, 384}, s.run());
    }
  }

  @Test
  void constructor_maskOfOtherLength_throws() {
    assertThrows(IllegalArgumentException.class,
        () -> new BareOrtSession(miniLm(), new long[] {101, 102}, new long[] {1}, 1));
  }
}
