package dev.parapet.guard.spark;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.policy.PolicySpec;
import java.io.Serializable;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link ParapetSpark#moderate} judges and how: the text column(s), the policy, the taxonomy, the model, the
 * batch size and the runtime threads per executor. Immutable, thread-safe and {@link Serializable}; it carries
 * names and strings only, never model bytes: each executor loads the model itself (see {@link #model()}).
 *
 * <p>Exactly one input form: a prompt column ({@link Builder#textColumn}), a prompt column plus a response column
 * ({@link Builder#responseColumn}: the response is judged in the context of its prompt), or a conversation column
 * ({@link Builder#conversationColumn}: an array of structs with a {@code role} and a {@code content} or
 * {@code text} field; the last turn is judged).
 *
 * <pre>{@code
 * ModerationSpec spec = ModerationSpec.builder().textColumn("prompt").responseColumn("answer")
 *     .policy("default=block@0.5, S6=flag@0.7").build();
 * }</pre>
 *
 * <p>Two equal specs share one Guard per executor JVM.
 */
public final class ModerationSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The default number of rows per {@code checkAll} call. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  private final String textColumn;
  private final String responseColumn;
  private final String conversationColumn;
  private final String policy;
  private final String taxonomy;
  private final String model;
  private final int batchSize;
  private final int threadsPerExecutor;
  private final int maxInputChars;
  private final long timeoutSeconds;

  private ModerationSpec(Builder b) {
    this.textColumn = b.textColumn;
    this.responseColumn = b.responseColumn;
    this.conversationColumn = b.conversationColumn;
    this.policy = b.policy;
    this.taxonomy = b.taxonomy;
    this.model = b.model;
    this.batchSize = b.batchSize;
    this.threadsPerExecutor = b.threadsPerExecutor;
    this.maxInputChars = b.maxInputChars;
    this.timeoutSeconds = b.timeoutSeconds;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The prompt column (empty when a conversation column is used). */
  public Optional<String> textColumn() {
    return Optional.ofNullable(textColumn);
  }

  /** The response column: when set, the response is judged in the context of the prompt. */
  public Optional<String> responseColumn() {
    return Optional.ofNullable(responseColumn);
  }

  /** The conversation column (array of structs with role and content/text). */
  public Optional<String> conversationColumn() {
    return Optional.ofNullable(conversationColumn);
  }

  /** The policy spec string ({@link PolicySpec}); default {@code default=block@0.5}. */
  public String policy() {
    return policy;
  }

  /** A taxonomy preset name or a JSON file readable on every executor; empty: the model's own. */
  public Optional<String> taxonomy() {
    return Optional.ofNullable(taxonomy);
  }

  /**
   * The model: {@code default} (the embedded default model, loaded from the job jar on each executor), a model
   * folder path that exists on every executor (a decoder export or an encoder folder, with
   * {@code parapet-model.json}), a guard model served by vLLM,
   * {@code remote:http://host:8000?model=SERVED_NAME&tokenizer=DIR[&family=F][&token-file=FILE][&category-mode=M][&max-context=N]}
   * (the tokenizer folder and the token file, which holds the API key, must exist on every executor; the key is
   * never part of the string, which shows in the Spark UI), or
   * {@code provider:NAME} (a {@link dev.parapet.guard.spi.ClassifierProvider} found by {@link java.util.ServiceLoader}
   * on the executors' classpath: for extensions and tests).
   */
  public String model() {
    return model;
  }

  /** Rows per {@code checkAll} call. */
  public int batchSize() {
    return batchSize;
  }

  /** ONNX Runtime intra-op threads of the executor's model; 0 = the runtime's default. */
  public int threadsPerExecutor() {
    return threadsPerExecutor;
  }

  /**
   * The longest turn the executor's Guard reads whole, in chars; 0 = the Guard's default (100,000). A longer turn
   * is judged from its head and tail and, as the Guard documents, fails closed ({@code INPUT_TOO_LONG}, BLOCK,
   * with the row's {@code parapet_error} saying so) unless the policy says {@code onError=open}.
   */
  public int maxInputChars() {
    return maxInputChars;
  }

  /** The per-check budget in seconds on the executors; 0 = the Guard's default (30 s); a check over it fails closed. */
  public long timeoutSeconds() {
    return timeoutSeconds;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.textColumn = textColumn;
    b.responseColumn = responseColumn;
    b.conversationColumn = conversationColumn;
    b.policy = policy;
    b.taxonomy = taxonomy;
    b.model = model;
    b.batchSize = batchSize;
    b.threadsPerExecutor = threadsPerExecutor;
    b.maxInputChars = maxInputChars;
    b.timeoutSeconds = timeoutSeconds;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModerationSpec s && Objects.equals(textColumn, s.textColumn)
        && Objects.equals(responseColumn, s.responseColumn) && Objects.equals(conversationColumn, s.conversationColumn)
        && policy.equals(s.policy) && Objects.equals(taxonomy, s.taxonomy) && model.equals(s.model)
        && batchSize == s.batchSize && threadsPerExecutor == s.threadsPerExecutor
        && maxInputChars == s.maxInputChars && timeoutSeconds == s.timeoutSeconds;
  }

  @Override
  public int hashCode() {
    return Objects.hash(textColumn, responseColumn, conversationColumn, policy, taxonomy, model, batchSize,
        threadsPerExecutor, maxInputChars, timeoutSeconds);
  }

  /** The settings that decide the Guard (not the columns): equal keys share a Guard on an executor. */
  GuardKey guardKey() {
    return new GuardKey(policy, taxonomy, model, threadsPerExecutor, maxInputChars, timeoutSeconds);
  }

  @Override
  public String toString() {
    return "ModerationSpec{" + (conversationColumn != null ? "conversation=" + conversationColumn
        : "text=" + textColumn + (responseColumn != null ? ", response=" + responseColumn : ""))
        + ", policy=" + policy + (taxonomy != null ? ", taxonomy=" + taxonomy : "") + ", model=" + model
        + ", batchSize=" + batchSize + ", threads=" + threadsPerExecutor
        + (maxInputChars > 0 ? ", maxInputChars=" + maxInputChars : "")
        + (timeoutSeconds > 0 ? ", timeoutSeconds=" + timeoutSeconds : "") + "}";
  }

  /** The part of a spec that decides which Guard an executor builds. */
  record GuardKey(String policy, String taxonomy, String model, int threads, int maxInputChars, long timeoutSeconds)
      implements Serializable {}

  /** Builds a {@link ModerationSpec}. Each setter checks its argument; {@link #build()} checks combinations. */
  public static final class Builder {
    private String textColumn;
    private String responseColumn;
    private String conversationColumn;
    private String policy = "default=block@0.5";
    private String taxonomy;
    private String model = "default";
    private int batchSize = DEFAULT_BATCH_SIZE;
    private int threadsPerExecutor;
    private int maxInputChars;
    private long timeoutSeconds;

    private Builder() {}

    /** The prompt column (string). */
    public Builder textColumn(String column) {
      this.textColumn = column(column, "textColumn");
      return this;
    }

    /** The response column (string), judged in the context of the text column's prompt. */
    public Builder responseColumn(String column) {
      this.responseColumn = column(column, "responseColumn");
      return this;
    }

    /** A conversation column: array of struct(role string, content or text string). */
    public Builder conversationColumn(String column) {
      this.conversationColumn = column(column, "conversationColumn");
      return this;
    }

    /**
     * The policy spec, checked now.
     *
     * @throws IllegalArgumentException naming the offending key, as {@link PolicySpec#parse} does
     */
    public Builder policy(String spec) {
      requireNonNull(spec, "policy");
      PolicySpec.parse(spec);
      this.policy = spec;
      return this;
    }

    /** A taxonomy preset ({@code llama-guard-3}, ...) or a JSON file path present on every executor. */
    public Builder taxonomy(String presetOrJsonPath) {
      this.taxonomy = column(presetOrJsonPath, "taxonomy");
      return this;
    }

    /** The model, see {@link ModerationSpec#model()}; checked for its form now. */
    public Builder model(String model) {
      requireNonNull(model, "model");
      ModelRef.parse(model);
      this.model = model.trim();
      return this;
    }

    public Builder batchSize(int rows) {
      if (rows < 1 || rows > 10_000) {
        throw new IllegalArgumentException("batchSize must be in [1, 10000], was " + rows);
      }
      this.batchSize = rows;
      return this;
    }

    /** ONNX Runtime intra-op threads per executor model (0 = runtime default); see the README's cluster notes. */
    public Builder threadsPerExecutor(int threads) {
      if (threads < 0 || threads > 1024) {
        throw new IllegalArgumentException("threadsPerExecutor must be in [0, 1024], was " + threads);
      }
      this.threadsPerExecutor = threads;
      return this;
    }

    /**
     * The longest turn read whole (see {@link ModerationSpec#maxInputChars()}); 0 = the Guard's default. Raise it
     * for jobs over long documents: cost grows with the text the model reads.
     */
    public Builder maxInputChars(int chars) {
      if (chars != 0 && (chars < 2 || chars > 100_000_000)) {
        throw new IllegalArgumentException("maxInputChars must be 0 (the Guard's default) or in [2, 100000000], was "
            + chars);
      }
      this.maxInputChars = chars;
      return this;
    }

    /**
     * The per-check budget on the executors, in seconds; 0 = the Guard's default (30 s). A check over it is a
     * TIMEOUT failure and fails closed (the row's failure column says so). Raise it together with
     * {@link #maxInputChars} for long documents, or on busy executors.
     */
    public Builder timeoutSeconds(long seconds) {
      if (seconds < 0 || seconds > 86_400) {
        throw new IllegalArgumentException("timeoutSeconds must be 0 (the Guard's default) or in [1, 86400], was "
            + seconds);
      }
      this.timeoutSeconds = seconds;
      return this;
    }

    /**
     * @throws IllegalStateException when no input form or more than one is given
     */
    public ModerationSpec build() {
      if (conversationColumn != null && (textColumn != null || responseColumn != null)) {
        throw new IllegalStateException("conversationColumn excludes textColumn/responseColumn: pick one input form");
      }
      if (conversationColumn == null && textColumn == null) {
        throw new IllegalStateException("set textColumn(prompt column), optionally with responseColumn, or "
            + "conversationColumn(array of structs)");
      }
      return new ModerationSpec(this);
    }

    private static String column(String v, String what) {
      requireNonNull(v, what);
      if (v.isBlank()) {
        throw new IllegalArgumentException(what + " must not be blank");
      }
      return v;
    }
  }
}
