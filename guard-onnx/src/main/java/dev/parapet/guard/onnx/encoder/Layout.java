package dev.parapet.guard.onnx.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assembles model inputs from id segments, never from text, so that user text that looks like {@code [SEP]}
 * cannot change the structure of the input. Immutable and thread-safe.
 *
 * <ul>
 *   <li>Prompt check: {@code [CLS] prompt [SEP]}, token type 0.
 *   <li>Response check: {@code [CLS] prompt [SEP] response [SEP]}, token type 0 through the first
 *       {@code [SEP]}, 1 after. The prompt is context: it is cut to {@code promptTokensInResponse} tokens by
 *       keeping its head and tail (the model was trained that way).
 * </ul>
 *
 * <p><b>Long inputs.</b> Content that does not fit is read in overlapping windows of the largest size that fits,
 * with a stride of half a window (the last window is aligned to the end, so every token is read at least once
 * and every boundary region falls inside some window). Each window is scored with the same prompt segment and
 * the maximum per output is kept ("windows-max"): a harmful passage anywhere in the text raises the score as if
 * it were alone, which head+tail truncation cannot promise.
 */
final class Layout {
  /** One model input row. */
  record Seq(long[] ids, long[] typeIds) {
    int length() {
      return ids.length;
    }
  }

  private final long cls;
  private final long sep;
  final int maxTokens;
  final int promptTokensInResponse;

  Layout(long cls, long sep, int maxTokens, int promptTokensInResponse) {
    this.cls = cls;
    this.sep = sep;
    this.maxTokens = maxTokens;
    this.promptTokensInResponse = promptTokensInResponse;
  }

  /** {@code [CLS] content [SEP]}; content must fit ({@code <= maxTokens - 2}). */
  Seq single(long[] content, int from, int to) {
    int n = to - from;
    if (n > maxTokens - 2) {
      throw new IllegalArgumentException("segment of " + n + " tokens exceeds " + (maxTokens - 2));
    }
    long[] ids = new long[n + 2];
    ids[0] = cls;
    System.arraycopy(content, from, ids, 1, n);
    ids[n + 1] = sep;
    return new Seq(ids, new long[n + 2]);
  }

  /** {@code [CLS] prompt [SEP] response[from, to) [SEP]}; must fit. */
  Seq pair(long[] promptSegment, long[] response, int from, int to) {
    int n = to - from;
    int total = promptSegment.length + n + 3;
    if (total > maxTokens) {
      throw new IllegalArgumentException("pair of " + total + " tokens exceeds " + maxTokens);
    }
    long[] ids = new long[total];
    long[] types = new long[total];
    ids[0] = cls;
    System.arraycopy(promptSegment, 0, ids, 1, promptSegment.length);
    int p = promptSegment.length + 1;
    ids[p] = sep;
    System.arraycopy(response, from, ids, p + 1, n);
    ids[total - 1] = sep;
    Arrays.fill(types, p + 1, total, 1L);
    return new Seq(ids, types);
  }

  /** Windows over a prompt: one sequence if it fits, else overlapping windows. */
  List<Seq> promptCheck(long[] prompt) {
    List<Seq> out = new ArrayList<>();
    for (int[] w : windows(prompt.length, maxTokens - 2)) {
      out.add(single(prompt, w[0], w[1]));
    }
    return out;
  }

  /** The prompt segment used in response checks: at most {@code promptTokensInResponse}, head+tail. */
  long[] promptSegment(long[] prompt) {
    return headTail(prompt, promptTokensInResponse);
  }

  /** The response budget next to a prompt segment. */
  int responseBudget(long[] promptSegment) {
    return maxTokens - 3 - promptSegment.length;
  }

  /** Windows over a response, each with the (cut) prompt segment. */
  List<Seq> responseCheck(long[] promptSegment, long[] response) {
    List<Seq> out = new ArrayList<>();
    for (int[] w : windows(response.length, responseBudget(promptSegment))) {
      out.add(pair(promptSegment, response, w[0], w[1]));
    }
    return out;
  }

  /**
   * Window bounds {@code [from, to)} covering {@code n} tokens with windows of {@code size}: {@code [0, n)} if
   * it fits, else stride {@code max(1, size / 2)} with the last window ending at {@code n}. An empty input gives
   * one empty window.
   */
  static List<int[]> windows(int n, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("window size must be positive, was " + size);
    }
    List<int[]> out = new ArrayList<>();
    if (n <= size) {
      out.add(new int[] {0, n});
      return out;
    }
    int stride = Math.max(1, size / 2);
    int start = 0;
    while (true) {
      if (start + size >= n) {
        out.add(new int[] {n - size, n});
        return out;
      }
      out.add(new int[] {start, start + size});
      start += stride;
    }
  }

  /** Keeps the first {@code ceil(budget/2)} and the last {@code floor(budget/2)} ids when too long. */
  static long[] headTail(long[] ids, int budget) {
    if (ids.length <= budget) {
      return ids;
    }
    int head = (budget + 1) / 2;
    int tail = budget - head;
    long[] out = new long[budget];
    System.arraycopy(ids, 0, out, 0, head);
    System.arraycopy(ids, ids.length - tail, out, head, tail);
    return out;
  }
}
