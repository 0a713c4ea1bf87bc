package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LayoutTest {
  @Test
  void windows_longInput_coverEveryTokenWithHalfOverlapAndEndAligned() {
    for (int n : new int[] {0, 1, 126, 127, 200, 1000, 5003}) {
      List<int[]> ws = Layout.windows(n, 126);
      boolean[] seen = new boolean[n];
      for (int[] w : ws) {
        assertTrue(w[1] - w[0] == Math.min(n, 126));
        for (int i = w[0]; i < w[1]; i++) {
          seen[i] = true;
        }
      }
      for (boolean b : seen) {
        assertTrue(b, "n=" + n);
      }
      assertEquals(n, ws.get(ws.size() - 1)[1]);
      for (int i = 1; i + 1 < ws.size(); i++) {
        assertEquals(63, ws.get(i)[0] - ws.get(i - 1)[0]);
      }
      if (n > 126) {
        assertTrue(ws.size() >= 2);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> Layout.windows(5, 0));
  }

  @Test
  void headTail_tooLong_keepsFirstAndLastHalves() {
    assertArrayEquals(new long[] {1, 2, 3, 8, 9}, Layout.headTail(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 5));
    long[] shortIds = {1, 2};
    assertArrayEquals(shortIds, Layout.headTail(shortIds, 5));
  }

  @Test
  void pair_assemblesSegmentsWithTokenTypes() {
    Layout l = new Layout(101, 102, 10, 3);
    Layout.Seq s = l.pair(new long[] {7, 8}, new long[] {1, 2, 3, 4}, 1, 4);
    assertArrayEquals(new long[] {101, 7, 8, 102, 2, 3, 4, 102}, s.ids());
    assertArrayEquals(new long[] {0, 0, 0, 0, 1, 1, 1, 1}, s.typeIds());
    assertThrows(IllegalArgumentException.class, () -> l.pair(new long[] {7, 8}, new long[6], 0, 6));
    assertEquals(5, l.responseBudget(new long[] {7, 8}));
    assertEquals(3, l.promptSegment(new long[] {1, 2, 3, 4, 5}).length);
  }
}
