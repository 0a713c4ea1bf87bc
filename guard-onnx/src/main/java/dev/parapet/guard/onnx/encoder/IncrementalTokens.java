package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.onnx.ContentTokenizer;
import java.util.Arrays;

/**
 * Tokenizes a growing text delta by delta, with the same ids as tokenizing the whole text at once. Not
 * thread-safe.
 *
 * <p>WordPiece tokenizes word by word: BERT's pre-tokenizer splits at whitespace and at punctuation, so
 * {@code tokens(a + b) == tokens(a) + tokens(b)} whenever {@code a} ends with such a boundary. A delta can end in
 * the middle of a word ("unbeliev" + "able"), and tokenizing the halves separately would give different pieces.
 * So the text after the last boundary is kept as raw text and re-tokenized with the next delta; only text up to
 * a boundary is committed as ids. Boundaries are taken conservatively: ASCII space, tab, CR, LF and ASCII
 * punctuation (BERT's normalizer deletes other control characters, which therefore join words). The cost of an
 * append is the delta plus the pending partial word; a "word" without any boundary (a long run of letters) is
 * re-tokenized on every check, which is the only case that costs more than the new text.
 *
 * <p>Only the last {@code keep} ids are retained (the window a check reads); {@link #count()} is the total.
 */
final class IncrementalTokens {
  private static final long[] EMPTY = new long[0];

  private final ContentTokenizer tokenizer;
  private final int keep;
  private long[] tail = new long[64];
  private int tailSize;
  private long dropped;
  private final StringBuilder pending = new StringBuilder();
  private long[] pendingIds = EMPTY;

  IncrementalTokens(ContentTokenizer tokenizer, int keep) {
    this.tokenizer = tokenizer;
    this.keep = Math.max(1, keep);
  }

  void append(String delta) {
    if (delta.isEmpty()) {
      return;
    }
    pending.append(delta);
    int cut = lastBoundary(pending) + 1;
    if (cut > 0) {
      add(tokenizer.encodeContent(pending.substring(0, cut)));
      pending.delete(0, cut);
    }
    pendingIds = pending.length() == 0 ? EMPTY : tokenizer.encodeContent(pending.toString());
  }

  /** Total tokens of the text so far. */
  long count() {
    return dropped + tailSize + pendingIds.length;
  }

  /** The last {@code min(n, count())} ids of the text so far ({@code n <= keep}). */
  long[] last(int n) {
    int have = tailSize + pendingIds.length;
    int m = Math.min(Math.min(n, keep), have);
    long[] out = new long[m];
    int fromPending = Math.min(m, pendingIds.length);
    int fromTail = m - fromPending;
    System.arraycopy(tail, tailSize - fromTail, out, 0, fromTail);
    System.arraycopy(pendingIds, pendingIds.length - fromPending, out, fromTail, fromPending);
    return out;
  }

  private void add(long[] ids) {
    if (tailSize + ids.length > tail.length) {
      if (tailSize > keep) { // drop what no window will read again
        int drop = tailSize - keep;
        System.arraycopy(tail, drop, tail, 0, keep);
        tailSize = keep;
        dropped += drop;
      }
      if (tailSize + ids.length > tail.length) {
        tail = Arrays.copyOf(tail, Math.max(tail.length * 2, tailSize + ids.length));
      }
    }
    System.arraycopy(ids, 0, tail, tailSize, ids.length);
    tailSize += ids.length;
  }

  static int lastBoundary(CharSequence s) {
    for (int i = s.length() - 1; i >= 0; i--) {
      if (isBoundary(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  static boolean isBoundary(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r'
        || (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  }
}
