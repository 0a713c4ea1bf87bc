package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link ChatPipeline} wrapped in interceptors, which run in the order added (the first added is outermost).
 * Immutable; thread-safe when its interceptors and the wrapped pipeline are.
 *
 * <pre>{@code
 * ChatPipeline safe = GuardedPipeline.builder(model::chat)
 *     .addInterceptor(GuardInterceptors.guard(guard))
 *     .build();
 * ChatReply r = safe.call(Conversation.ofPrompt("..."));
 * }</pre>
 *
 * <p>Errors: an interceptor or the model that throws fails the call with an {@link InterceptorException}
 * naming the step (its cause is the original exception); an interceptor that returns null or calls
 * {@code proceed} twice does too.
 */
public final class GuardedPipeline implements ChatPipeline {
  static final String MODEL_STEP = "chat pipeline";

  private final ChatPipeline model;
  private final List<GuardInterceptor> interceptors;

  private GuardedPipeline(Builder b) {
    this.model = b.model;
    this.interceptors = List.copyOf(b.interceptors);
  }

  public static Builder builder(ChatPipeline model) {
    return new Builder(requireNonNull(model, "model"));
  }

  public List<GuardInterceptor> interceptors() {
    return interceptors;
  }

  @Override
  public ChatReply call(Conversation conversation) {
    requireNonNull(conversation, "conversation");
    return new RealChain(model, interceptors, 0, conversation, null).run();
  }

  /** Builds a {@link GuardedPipeline}. Not thread-safe; reusable. */
  public static final class Builder {
    private final ChatPipeline model;
    private final List<GuardInterceptor> interceptors = new ArrayList<>();

    private Builder(ChatPipeline model) {
      this.model = model;
    }

    public Builder addInterceptor(GuardInterceptor interceptor) {
      interceptors.add(requireNonNull(interceptor, "interceptor"));
      return this;
    }

    public GuardedPipeline build() {
      return new GuardedPipeline(this);
    }
  }
}
