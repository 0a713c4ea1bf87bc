package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.onnx.ContentTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns prompt segments into token ids the way a Hugging Face tokenizer treats a whole prompt string — special
 * tokens are cut out first, the text between them is tokenized piece by piece — with one difference that is the
 * point: special tokens are recognised in TEMPLATE segments only. Content segments and the template text next to
 * them are tokenized with {@link ContentTokenizer#encodeContent}, which has no special tokens, so a user who types
 * {@code <|eot_id|>} gets ordinary pieces and cannot change the prompt's structure. Thread-safe.
 */
final class PromptEncoder {
  private final ContentTokenizer tokenizer;
  private final List<String> specials; // longest first, so "<|eot|>" never shadows a longer token

  PromptEncoder(ContentTokenizer tokenizer) {
    this.tokenizer = tokenizer;
    List<String> s = new ArrayList<>(tokenizer.specialTokens());
    s.sort(Comparator.comparingInt(String::length).reversed());
    this.specials = List.copyOf(s);
  }

  ContentTokenizer tokenizer() {
    return tokenizer;
  }

  /** Encodes one run of segments. */
  long[] encode(List<Segment> run) {
    LongList out = new LongList();
    StringBuilder pending = new StringBuilder();
    for (Segment seg : run) {
      if (seg.content()) {
        pending.append(seg.text());
        continue;
      }
      String t = seg.text();
      int i = 0;
      while (i < t.length()) {
        int best = -1;
        String which = null;
        for (String sp : specials) {
          int at = t.indexOf(sp, i);
          if (at >= 0 && (best < 0 || at < best)) {
            best = at;
            which = sp;
          }
        }
        if (which == null) {
          pending.append(t, i, t.length());
          break;
        }
        pending.append(t, i, best);
        flush(pending, out);
        out.add(tokenizer.tokenId(which).orElseThrow());
        i = best + which.length();
      }
    }
    flush(pending, out);
    return out.toArray();
  }

  long[] encode(Segment... run) {
    return encode(List.of(run));
  }

  private void flush(StringBuilder pending, LongList out) {
    if (pending.length() > 0) {
      out.addAll(tokenizer.encodeContent(pending.toString()));
      pending.setLength(0);
    }
  }

  /** A growable long array. */
  static final class LongList {
    private long[] a = new long[64];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    void addAll(long[] vs) {
      for (long v : vs) {
        add(v);
      }
    }

    int size() {
      return n;
    }

    void clear() {
      n = 0;
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }

  static long[] concat(long[]... parts) {
    int n = 0;
    for (long[] p : parts) {
      n += p.length;
    }
    long[] out = new long[n];
    int at = 0;
    for (long[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
