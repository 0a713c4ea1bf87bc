package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The random-weight Llama-like decoder the DECODER backend runs, from a spec string: {@code LAYERSxHIDDEN[xVOCAB]}
 * such as {@code 4x256} (vocabulary 32,000) or {@code 2x32x600} (tests), or a size-faithful preset:
 * {@code llama-3.2-1b-int4} (Llama Guard 3 1B's shape: 16 layers, hidden 2048, 32 query / 8 key-value heads of 64,
 * MLP 8192, vocabulary 128,256, in the fixture's int4 form: MatMulNBits weights, fp16 embedding; the model is
 * untied: its LM head is a separate int4 matrix, as int4 CPU exports quantize it).
 * For {@code LxH} specs heads have 64 dimensions (fewer for tiny models: at least 2 heads), key/value heads are
 * half the query heads, and the MLP is {@code 8/3} of the hidden size rounded to 32. Immutable.
 *
 * <p>Not available: fp32 at real size (the fixture writes one protobuf, limited to 2 GB; Llama-3.2-1B in fp32 is
 * 5 GB and needs ONNX external data), Qwen3-0.6B (its attention width, 16 x 128, differs from its hidden size,
 * 1024, which the fixture's graph assumes equal; and it has q/k norms) and Gemma-2-2B.
 */
record DecoderShape(String name, int layers, int hidden, int heads, int kvHeads, int intermediate, int vocab,
    boolean int4) {
  private static final Pattern SPEC = Pattern.compile("(\\d+)x(\\d+)(?:x(\\d+))?");
  static final String LLAMA_3_2_1B_INT4 = "llama-3.2-1b-int4";

  DecoderShape {
    requireNonNull(name, "name");
    if (layers < 1 || hidden < 8 || hidden % 8 != 0 || vocab < 1000) {
      throw new IllegalArgumentException("decoder shape needs layers >= 1, hidden a multiple of 8 (>= 8) and"
          + " vocab >= 1000; got " + layers + "x" + hidden + "x" + vocab);
    }
  }

  static DecoderShape parse(String spec) {
    requireNonNull(spec, "spec");
    String s = spec.strip().toLowerCase(Locale.ROOT);
    if (s.equals(LLAMA_3_2_1B_INT4)) {
      return new DecoderShape(s, 16, 2048, 32, 8, 8192, 128_256, true);
    }
    Matcher m = SPEC.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("decoder shape must look like LAYERSxHIDDEN[xVOCAB], e.g. 4x256 or"
          + " 6x512x32000, or be the preset " + LLAMA_3_2_1B_INT4 + "; got '" + spec + "'");
    }
    int vocab = m.group(3) == null ? 32_000 : Integer.parseInt(m.group(3));
    int layers = Integer.parseInt(m.group(1));
    int hidden = Integer.parseInt(m.group(2));
    int heads = Math.max(2, hidden / 64);
    return new DecoderShape(layers + "x" + hidden + "x" + vocab, layers, hidden, heads, Math.max(1, heads / 2),
        Math.max(32, (hidden * 8 / 3 + 31) / 32 * 32), vocab, false);
  }

  /** Whether this is a size-faithful preset (cached under target/, and read with the real tokenizer if fetched). */
  boolean realSize() {
    return int4;
  }

  /**
   * The fixture config: the tokenizer knows every piece of {@code seedTexts} (so the benchmark text maps to
   * real vocabulary ids, not the unknown token).
   */
  TinyDecoderFixture.Config fixtureConfig(String family, List<String> seedTexts) {
    return TinyDecoderFixture.Config.tiny(family)
        .withSize(layers, hidden, heads, kvHeads, intermediate, vocab)
        .withInt4(int4)
        .withSeedTexts(seedTexts);
  }

  @Override
  public String toString() {
    return name;
  }
}
