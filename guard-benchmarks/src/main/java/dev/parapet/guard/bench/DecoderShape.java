package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The random-weight decoder the DECODER backend runs, from a spec string: {@code LAYERSxHIDDEN[xVOCAB]} such as
 * {@code 4x256} (vocabulary 32,000) or {@code 2x32x600} (tests), or a size-faithful preset
 * {@code FAMILY-FORM} with FORM {@code int4} (MatMulNBits 4-bit weights in blocks of 32, fp16 embedding) or
 * {@code fp32} (ONNX external data):
 * <ul>
 *   <li>{@code llama-3.2-1b}: Llama Guard 3 1B's shape: 16 layers, hidden 2048, 32 query / 8 key-value heads of 64,
 *       MLP 8192, vocabulary 128,256, tied embeddings (fp32 4.9 GB, int4 1.3 GB);
 *   <li>{@code qwen3-0.6b}: Qwen3Guard-Gen-0.6B's: 28 layers, hidden 1024, 16 / 8 heads of 128 (attention width 2048
 *       against hidden 1024), MLP 3072, vocabulary 151,936, q/k norms, tied (fp32 2.4 GB, int4 0.7 GB);
 *   <li>{@code gemma-2-2b}: ShieldGemma 2B's: 26 layers, hidden 2304, 8 / 4 heads of 256, MLP 9216, vocabulary
 *       256,000, tied, with Gemma 2's embedding scale, GeGLU, sandwich norms and soft-caps (fp32 10.5 GB,
 *       int4 2.8 GB).
 * </ul>
 * For {@code LxH} specs heads have 64 dimensions (fewer for tiny models: at least 2 heads), key/value heads are
 * half the query heads, and the MLP is {@code 8/3} of the hidden size rounded to 32. Immutable.
 *
 * @param arch which family's layer details the fixture writes
 */
record DecoderShape(String name, int layers, int hidden, int heads, int kvHeads, int headDim, int intermediate,
    int vocab, boolean int4, Arch arch) {
  private static final Pattern SPEC = Pattern.compile("(\\d+)x(\\d+)(?:x(\\d+))?");
  static final String LLAMA_3_2_1B_INT4 = "llama-3.2-1b-int4";
  static final String QWEN3_0_6B_INT4 = "qwen3-0.6b-int4";
  static final String GEMMA_2_2B_INT4 = "gemma-2-2b-int4";

  /** The layer details of a family (beyond the sizes). */
  enum Arch {
    /** The fixture's default: Llama (untied for {@code LxH} specs). */
    PLAIN,
    /** Llama 3.2: tied embeddings. */
    LLAMA32,
    /** Qwen3: q/k norms, tied embeddings. */
    QWEN3,
    /** Gemma 2: embedding scale, GeGLU, sandwich norms, soft-caps, tied embeddings. */
    GEMMA2
  }

  private static final List<DecoderShape> PRESETS = List.of(
      new DecoderShape("llama-3.2-1b", 16, 2048, 32, 8, 64, 8192, 128_256, false, Arch.LLAMA32),
      new DecoderShape("qwen3-0.6b", 28, 1024, 16, 8, 128, 3072, 151_936, false, Arch.QWEN3),
      new DecoderShape("gemma-2-2b", 26, 2304, 8, 4, 256, 9216, 256_000, false, Arch.GEMMA2));

  DecoderShape {
    requireNonNull(name, "name");
    requireNonNull(arch, "arch");
    if (layers < 1 || hidden < 8 || hidden % 8 != 0 || vocab < 1000) {
      throw new IllegalArgumentException("decoder shape needs layers >= 1, hidden a multiple of 8 (>= 8) and"
          + " vocab >= 1000; got " + layers + "x" + hidden + "x" + vocab);
    }
  }

  static DecoderShape parse(String spec) {
    requireNonNull(spec, "spec");
    String s = spec.strip().toLowerCase(Locale.ROOT);
    for (DecoderShape p : PRESETS) {
      for (String form : new String[] {"int4", "fp32"}) {
        if (s.equals(p.name() + "-" + form)) {
          return new DecoderShape(s, p.layers, p.hidden, p.heads, p.kvHeads, p.headDim, p.intermediate, p.vocab,
              form.equals("int4"), p.arch);
        }
      }
    }
    Matcher m = SPEC.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("decoder shape must look like LAYERSxHIDDEN[xVOCAB], e.g. 4x256 or"
          + " 6x512x32000, or be a preset " + presetNames() + "; got '" + spec + "'");
    }
    int vocab = m.group(3) == null ? 32_000 : Integer.parseInt(m.group(3));
    int layers = Integer.parseInt(m.group(1));
    int hidden = Integer.parseInt(m.group(2));
    int heads = Math.max(2, hidden / 64);
    if (hidden % heads != 0) {
      throw new IllegalArgumentException("hidden " + hidden + " must be a multiple of its " + heads + " heads");
    }
    return new DecoderShape(layers + "x" + hidden + "x" + vocab, layers, hidden, heads, Math.max(1, heads / 2),
        hidden / heads, Math.max(32, (hidden * 8 / 3 + 31) / 32 * 32), vocab, false, Arch.PLAIN);
  }

  /** Every preset's spec strings. */
  static List<String> presetNames() {
    return PRESETS.stream().flatMap(p -> java.util.stream.Stream.of(p.name() + "-int4", p.name() + "-fp32"))
        .toList();
  }

  /** Whether this is a size-faithful preset (cached under target/, and read with the real tokenizer if fetched). */
  boolean realSize() {
    return arch != Arch.PLAIN;
  }

  /**
   * The fixture config: the tokenizer knows every piece of {@code seedTexts} (so the benchmark text maps to
   * real vocabulary ids, not the unknown token). Presets are written with external data (streamed to disk as
   * drawn, so the heap never holds the weights; fp32 needs it past protobuf's 2 GB).
   */
  TinyDecoderFixture.Config fixtureConfig(String family, List<String> seedTexts) {
    TinyDecoderFixture.Config c = TinyDecoderFixture.Config.tiny(family)
        .withSize(layers, hidden, heads, kvHeads, intermediate, vocab)
        .withHeadDim(headDim)
        .withInt4(int4)
        .withSeedTexts(seedTexts);
    if (!realSize()) {
      return c;
    }
    return c.withTiedEmbeddings(true).withQkNorm(arch == Arch.QWEN3).withGemma(arch == Arch.GEMMA2)
        .withExternalData(true);
  }

  @Override
  public String toString() {
    return name;
  }
}
