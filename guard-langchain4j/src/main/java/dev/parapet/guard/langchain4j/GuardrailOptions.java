package dev.parapet.guard.langchain4j;

import static java.util.Objects.requireNonNull;

/**
 * Settings of {@link ParapetInputGuardrail}, {@link ParapetOutputGuardrail} and {@link ParapetModerationModel}
 * that are not the Guard's (policy, taxonomy and fail mode always come from the Guard). Immutable and
 * thread-safe.
 */
public final class GuardrailOptions {
  private static final GuardrailOptions DEFAULTS = builder().build();

  private final VerdictListener listener;
  private final boolean scoresInMessages;

  private GuardrailOptions(Builder b) {
    this.listener = b.listener;
    this.scoresInMessages = b.scoresInMessages;
  }

  /** No listener, no scores in messages. */
  public static GuardrailOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public VerdictListener listener() {
    return listener;
  }

  public boolean scoresInMessages() {
    return scoresInMessages;
  }

  @Override
  public String toString() {
    return "GuardrailOptions{listener=" + listener + ", scoresInMessages=" + scoresInMessages + "}";
  }

  /** Builds {@link GuardrailOptions}. Not thread-safe; reusable. */
  public static final class Builder {
    private VerdictListener listener = VerdictListener.NONE;
    private boolean scoresInMessages;

    private Builder() {}

    /** Receives every verdict (ALLOW, FLAG, BLOCK). Default: none. */
    public Builder listener(VerdictListener listener) {
      this.listener = requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Appends each triggered category's score and threshold to the failure message. Off by default: guardrail
     * messages end up in logs and sometimes in front of users, and scores help someone probe the threshold.
     */
    public Builder scoresInMessages(boolean on) {
      this.scoresInMessages = on;
      return this;
    }

    public GuardrailOptions build() {
      return new GuardrailOptions(this);
    }
  }
}
