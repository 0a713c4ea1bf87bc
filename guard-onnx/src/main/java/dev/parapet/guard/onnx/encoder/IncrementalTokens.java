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
 * <p>Ids are retained from the mark set by {@link #retainFrom} (so that a check can read every window the text
 * since the previous check touched) and at least the last {@code keep}; {@link #count()} is the total.
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
  private long retainFrom;

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

  /** Ids that no later append can change (the text up to the last word boundary). */
  long committed() {
    return dropped + tailSize;
  }

  /** Allows dropping ids before absolute position {@code pos} (beyond the last {@code keep}). */
  void retainFrom(long pos) {
    retainFrom = Math.max(retainFrom, pos);
  }

  /** The ids from absolute position {@code from} (at or after the retain mark) to the end. */
  long[] range(long from) {
    if (from < dropped || from > count()) {
      throw new IllegalArgumentException("ids from " + from + " are not retained (dropped " + dropped + ", count "
          + count() + ")");
    }
    int fromTail = (int) (from - dropped);
    long[] out = new long[(int) (count() - from)];
    int n = Math.max(0, tailSize - fromTail);
    System.arraycopy(tail, Math.min(fromTail, tailSize), out, 0, n);
    int p = Math.max(0, fromTail - tailSize);
    System.arraycopy(pendingIds, p, out, n, pendingIds.length - p);
    return out;
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
      long droppable = Math.min(retainFrom - dropped, tailSize - keep);
      if (droppable > 0) { // drop what no window will read again
        int drop = (int) droppable;
        System.arraycopy(tail, drop, tail, 0, tailSize - drop);
        tailSize -= drop;
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
