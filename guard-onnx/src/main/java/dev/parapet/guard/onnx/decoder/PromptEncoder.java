package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.onnx.ContentTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns prompt segments into token ids the way a Hugging Face tokenizer treats a whole prompt string — added
 * tokens are cut out first, the text between them is tokenized piece by piece — with one difference that is the
 * point: special and markup added tokens ({@link ContentTokenizer#markupTokens()}, which include non-special ones
 * such as Qwen's {@code <think>}) are recognised in TEMPLATE segments only. Content segments and the template text next to
 * them are tokenized with {@link ContentTokenizer#encodeContent}, which has no special tokens, so a user who types
 * {@code <|eot_id|>} gets ordinary pieces and cannot change the prompt's structure. Thread-safe.
 */
final class PromptEncoder {
  private final ContentTokenizer tokenizer;
  /** Markup tokens by first char, longest first, so "<|eot|>" never shadows a longer token. */
  private final Map<Character, List<String>> markup;

  PromptEncoder(ContentTokenizer tokenizer) {
    this.tokenizer = tokenizer;
    Map<Character, List<String>> m = new HashMap<>();
    for (String t : tokenizer.markupTokens()) {
      if (!t.isEmpty()) {
        m.computeIfAbsent(t.charAt(0), k -> new ArrayList<>()).add(t);
      }
    }
    for (List<String> l : m.values()) {
      l.sort(Comparator.comparingInt(String::length).reversed());
    }
    this.markup = Map.copyOf(m);
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
      int from = 0;
      for (int i = 0; i < t.length(); i++) {
        List<String> candidates = markup.get(t.charAt(i));
        if (candidates == null) {
          continue;
        }
        for (String tok : candidates) {
          if (t.startsWith(tok, i)) {
            pending.append(t, from, i);
            flush(pending, out);
            out.add(tokenizer.tokenId(tok).orElseThrow());
            from = i + tok.length();
            i = from - 1;
            break;
          }
        }
      }
      pending.append(t, from, t.length());
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
      addAll(vs, 0, vs.length);
    }

    /** Appends {@code vs[from, to)}. */
    void addAll(long[] vs, int from, int to) {
      int k = to - from;
      if (n + k > a.length) {
        a = java.util.Arrays.copyOf(a, Math.max(n + k, a.length * 2));
      }
      System.arraycopy(vs, from, a, n, k);
      n += k;
    }

    void addAll(LongList vs) {
      addAll(vs.a, 0, vs.n);
    }

    long get(int i) {
      if (i >= n) {
        throw new IndexOutOfBoundsException("index " + i + " of " + n);
      }
      return a[i];
    }

    /** The backing array, valid up to {@link #size()}; read-only for the caller and changed by later adds. */
    long[] array() {
      return a;
    }

    int size() {
      return n;
    }

    /** Keeps the first {@code size} values. */
    void truncate(int size) {
      if (size < 0 || size > n) {
        throw new IllegalArgumentException("truncate to " + size + " outside [0, " + n + "]");
      }
      n = size;
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
