package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.Optional;

/**
 * Settings of a {@link DecoderGuardClassifier}. Immutable and thread-safe; build with {@link #builder()}.
 *
 * <ul>
 *   <li>{@code onnx}: device and threads ({@link OnnxOptions#defaults()}).
 *   <li>{@code family}: overrides parapet-model.json's {@code family}.
 *   <li>{@code taxonomy}: the default taxonomy (requests may bring their own); otherwise the manifest's
 *       {@code taxonomy} preset name, otherwise the family's native one.
 *   <li>{@code categoryMode}: {@link CategoryMode#TEACHER_FORCED} by default.
 *   <li>{@code prefillChunkTokens} (256): most tokens per run; bounds activation and logits memory.
 *   <li>{@code maxLogitsBytes} (256 MiB): the export computes logits for every input position, so the chunk
 *       shrinks until batch x chunk x vocab x 4 bytes fits.
 *   <li>{@code maxContextTokens} (8192, capped by config.json's {@code max_position_embeddings}): longer
 *       prompts drop the oldest context turns (keeping the turn right before the judged one), then the middle
 *       of the judged text ("head+tail": its first and last halves), recorded as {@code Truncation} in the
 *       scores. A streaming session keeps all context turns and applies head+tail to the response.
 *   <li>{@code prefixCacheEntries} (16): policy-prefix KV caches kept (one per taxonomy x target [x category
 *       in exact mode]); the least recently used is freed first.
 *   <li>{@code maxBatchSize} (8): rows per run in batched calls.
 *   <li>{@code verifyChecksums} (true): check every file's SHA-256 against parapet-model.json before loading.
 * </ul>
 */
public final class DecoderOptions {
  private final OnnxOptions onnx;
  private final GuardFamily family;
  private final Taxonomy taxonomy;
  private final CategoryMode categoryMode;
  private final int prefillChunkTokens;
  private final long maxLogitsBytes;
  private final int maxContextTokens;
  private final int prefixCacheEntries;
  private final int maxBatchSize;
  private final boolean verifyChecksums;

  private DecoderOptions(Builder b) {
    this.onnx = b.onnx;
    this.family = b.family;
    this.taxonomy = b.taxonomy;
    this.categoryMode = b.categoryMode;
    this.prefillChunkTokens = b.prefillChunkTokens;
    this.maxLogitsBytes = b.maxLogitsBytes;
    this.maxContextTokens = b.maxContextTokens;
    this.prefixCacheEntries = b.prefixCacheEntries;
    this.maxBatchSize = b.maxBatchSize;
    this.verifyChecksums = b.verifyChecksums;
  }

  public static DecoderOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.onnx = onnx;
    b.family = family;
    b.taxonomy = taxonomy;
    b.categoryMode = categoryMode;
    b.prefillChunkTokens = prefillChunkTokens;
    b.maxLogitsBytes = maxLogitsBytes;
    b.maxContextTokens = maxContextTokens;
    b.prefixCacheEntries = prefixCacheEntries;
    b.maxBatchSize = maxBatchSize;
    b.verifyChecksums = verifyChecksums;
    return b;
  }

  public OnnxOptions onnx() {
    return onnx;
  }

  public Optional<GuardFamily> family() {
    return Optional.ofNullable(family);
  }

  public Optional<Taxonomy> taxonomy() {
    return Optional.ofNullable(taxonomy);
  }

  public CategoryMode categoryMode() {
    return categoryMode;
  }

  public int prefillChunkTokens() {
    return prefillChunkTokens;
  }

  public long maxLogitsBytes() {
    return maxLogitsBytes;
  }

  public int maxContextTokens() {
    return maxContextTokens;
  }

  public int prefixCacheEntries() {
    return prefixCacheEntries;
  }

  public int maxBatchSize() {
    return maxBatchSize;
  }

  public boolean verifyChecksums() {
    return verifyChecksums;
  }

  @Override
  public String toString() {
    return "DecoderOptions[onnx=" + onnx + ", family=" + family + ", taxonomy="
        + (taxonomy == null ? null : taxonomy.name()) + ", categoryMode=" + categoryMode + ", prefillChunkTokens="
        + prefillChunkTokens + ", maxLogitsBytes=" + maxLogitsBytes + ", maxContextTokens=" + maxContextTokens
        + ", prefixCacheEntries=" + prefixCacheEntries + ", maxBatchSize=" + maxBatchSize + ", verifyChecksums="
        + verifyChecksums + "]";
  }

  /** Builds {@link DecoderOptions}; each setter checks its value. Reusable, not thread-safe. */
  public static final class Builder {
    private OnnxOptions onnx = OnnxOptions.defaults();
    private GuardFamily family;
    private Taxonomy taxonomy;
    private CategoryMode categoryMode = CategoryMode.TEACHER_FORCED;
    private int prefillChunkTokens = 256;
    private long maxLogitsBytes = 256L << 20;
    private int maxContextTokens = 8192;
    private int prefixCacheEntries = 16;
    private int maxBatchSize = 8;
    private boolean verifyChecksums = true;

    private Builder() {}

    public Builder onnx(OnnxOptions onnx) {
      this.onnx = requireNonNull(onnx, "onnx");
      return this;
    }

    public Builder family(GuardFamily family) {
      this.family = requireNonNull(family, "family");
      return this;
    }

    public Builder taxonomy(Taxonomy taxonomy) {
      this.taxonomy = requireNonNull(taxonomy, "taxonomy");
      return this;
    }

    public Builder categoryMode(CategoryMode mode) {
      this.categoryMode = requireNonNull(mode, "mode");
      return this;
    }

    public Builder prefillChunkTokens(int n) {
      this.prefillChunkTokens = check("prefillChunkTokens", n, 1, 1 << 16);
      return this;
    }

    public Builder maxLogitsBytes(long n) {
      if (n < 1 << 16) {
        throw new IllegalArgumentException("maxLogitsBytes must be >= 65536, was " + n);
      }
      this.maxLogitsBytes = n;
      return this;
    }

    public Builder maxContextTokens(int n) {
      this.maxContextTokens = check("maxContextTokens", n, 64, 1 << 20);
      return this;
    }

    public Builder prefixCacheEntries(int n) {
      this.prefixCacheEntries = check("prefixCacheEntries", n, 0, 4096);
      return this;
    }

    public Builder maxBatchSize(int n) {
      this.maxBatchSize = check("maxBatchSize", n, 1, 1024);
      return this;
    }

    public Builder verifyChecksums(boolean verify) {
      this.verifyChecksums = verify;
      return this;
    }

    public DecoderOptions build() {
      return new DecoderOptions(this);
    }

    private static int check(String what, int n, int min, int max) {
      if (n < min || n > max) {
        throw new IllegalArgumentException(what + " must be in [" + min + ", " + max + "], was " + n);
      }
      return n;
    }
  }
}
