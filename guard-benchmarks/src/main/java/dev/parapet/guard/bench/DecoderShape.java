package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The random-weight Llama-like decoder the DECODER backend runs, from a spec string
 * {@code LAYERSxHIDDEN[xVOCAB]} such as {@code 4x256} (vocabulary 32,000) or {@code 2x32x600} (tests). Heads
 * have 64 dimensions (fewer for tiny models: at least 2 heads), key/value heads are half the query heads
 * (grouped-query attention as in Llama 3), and the MLP is {@code 8/3} of the hidden size rounded to 32.
 * Immutable.
 */
record DecoderShape(int layers, int hidden, int vocab) {
  private static final Pattern SPEC = Pattern.compile("(\\d+)x(\\d+)(?:x(\\d+))?");

  DecoderShape {
    if (layers < 1 || hidden < 8 || hidden % 8 != 0 || vocab < 1000) {
      throw new IllegalArgumentException("decoder shape needs layers >= 1, hidden a multiple of 8 (>= 8) and"
          + " vocab >= 1000; got " + layers + "x" + hidden + "x" + vocab);
    }
  }

  static DecoderShape parse(String spec) {
    requireNonNull(spec, "spec");
    Matcher m = SPEC.matcher(spec.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("decoder shape must look like LAYERSxHIDDEN[xVOCAB], e.g. 4x256 or"
          + " 6x512x32000; got '" + spec + "'");
    }
    int vocab = m.group(3) == null ? 32_000 : Integer.parseInt(m.group(3));
    return new DecoderShape(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), vocab);
  }

  int heads() {
    return Math.max(2, hidden / 64);
  }

  int kvHeads() {
    return Math.max(1, heads() / 2);
  }

  int intermediate() {
    return Math.max(32, (hidden * 8 / 3 + 31) / 32 * 32);
  }

  /**
   * The fixture config: the tokenizer knows every piece of {@code seedTexts} (so the benchmark text maps to
   * real vocabulary ids, not the unknown token).
   */
  TinyDecoderFixture.Config fixtureConfig(String family, List<String> seedTexts) {
    return TinyDecoderFixture.Config.tiny(family)
        .withSize(layers, hidden, heads(), kvHeads(), intermediate(), vocab)
        .withSeedTexts(seedTexts);
  }

  @Override
  public String toString() {
    return layers + "x" + hidden + "x" + vocab;
  }
}
