package dev.parapet.guard.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.stream.StreamOptions;
import java.util.List;
import java.util.Set;

/**
 * A {@link StreamingChatModel} decorator that streams the wrapped model's answer through a Parapet
 * {@code StreamingSession} and stops it the moment it turns harmful.
 *
 * <pre>{@code
 * StreamingChatModel guarded = GuardedStreamingChatModel.builder(openAiStreamingModel, guard).build();
 * Assistant assistant = AiServices.builder(Assistant.class).streamingChatModel(guarded).build();
 * }</pre>
 *
 * <p>Per request it opens {@code guard.openStream(prompt)}, where the prompt is the request's conversation up to
 * its last user message (system, user and assistant text). Each partial response goes into the session, and the
 * caller's handler receives <b>only the text the session releases</b> (so chunk boundaries differ from the
 * model's while checks hold text back; the concatenation is the same). On STOP:
 *
 * <ol>
 *   <li>the upstream generation is cancelled with LangChain4j's own mechanism, {@code
 *       PartialResponseContext.streamingHandle().cancel()} (since 1.7; providers close the HTTP stream);
 *   <li>the caller's handler gets the refusal message as a last partial response, then {@code
 *       onCompleteResponse} with an {@code AiMessage} whose text is what the user saw (released text +
 *       refusal), finish reason {@code CONTENT_FILTER} and the attribute {@value #VERDICT_ATTRIBUTE} (the
 *       verdict as JSON); the {@link VerdictListener} gets the verdict;
 *   <li>every later callback from upstream is dropped.
 * </ol>
 *
 * Where the upstream cannot be cancelled (a provider that calls only {@code onPartialResponse(String)}, without a
 * context, so no handle reaches us), step 1 is skipped: <b>the provider keeps generating and its stream keeps
 * running to its end</b> (tokens are still billed); nothing it sends after the stop is forwarded.
 *
 * <p>On normal completion the final check runs ({@code finish()}); if it passes, the rest of the text is
 * forwarded and then the model's own {@code ChatResponse} (with the verdict attribute added). A classifier failure
 * follows the Guard's fail mode (fail closed: STOP). Thinking, tool-call and raw events are forwarded unchanged
 * and are not judged. A session error (for example the Guard was closed) cancels upstream and goes to {@code
 * onError}.
 *
 * <p><b>Thread-safety:</b> immutable and thread-safe; each request gets its own session. The session's checks
 * run on the thread that delivers the partial responses (the provider's).
 */
public final class GuardedStreamingChatModel implements StreamingChatModel {
  /** The {@code AiMessage} attribute holding the final or stopping verdict as JSON ({@code Verdict.toJson()}). */
  public static final String VERDICT_ATTRIBUTE = "parapet.verdict";

  private final StreamingChatModel delegate;
  private final Guard guard;
  private final StreamOptions streamOptions;
  private final String refusalMessage;
  private final VerdictListener listener;

  private GuardedStreamingChatModel(Builder b) {
    this.delegate = b.delegate;
    this.guard = b.guard;
    this.streamOptions = b.streamOptions != null ? b.streamOptions : b.guard.streamOptions();
    this.refusalMessage = b.refusalMessage;
    this.listener = b.listener;
  }

  public static Builder builder(StreamingChatModel delegate, Guard guard) {
    return new Builder(delegate, guard);
  }

  @Override
  public void chat(ChatRequest request, ChatRequestOptions options, StreamingChatResponseHandler handler) {
    requireNonNull(request, "request");
    requireNonNull(handler, "handler");
    Conversation prompt = Conversation.of(Texts.promptTurns(request.messages()));
    GuardedStreamingHandler guarded =
        new GuardedStreamingHandler(guard.openStream(prompt, streamOptions), handler, refusalMessage, listener);
    try {
      delegate.chat(request, options, guarded);
    } catch (RuntimeException e) {
      guarded.closeSession();
      throw e;
    }
  }

  @Override
  public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
    chat(request, ChatRequestOptions.EMPTY, handler);
  }

  @Override
  public ChatRequestParameters defaultRequestParameters() {
    return delegate.defaultRequestParameters();
  }

  /** Empty: the wrapped model's listeners run inside its own {@code chat}, once. */
  @Override
  public List<ChatModelListener> listeners() {
    return List.of();
  }

  @Override
  public ModelProvider provider() {
    return delegate.provider();
  }

  @Override
  public Set<Capability> supportedCapabilities() {
    return delegate.supportedCapabilities();
  }

  public String refusalMessage() {
    return refusalMessage;
  }

  public StreamOptions streamOptions() {
    return streamOptions;
  }

  @Override
  public String toString() {
    return "GuardedStreamingChatModel{" + delegate + ", " + guard.classifierInfo().id() + ", " + streamOptions + "}";
  }

  /** Builds a {@link GuardedStreamingChatModel}. Not thread-safe; reusable. */
  public static final class Builder {
    private final StreamingChatModel delegate;
    private final Guard guard;
    private StreamOptions streamOptions;
    private String refusalMessage = "Sorry, I can't help with that.";
    private VerdictListener listener = VerdictListener.NONE;

    private Builder(StreamingChatModel delegate, Guard guard) {
      this.delegate = requireNonNull(delegate, "delegate");
      this.guard = requireNonNull(guard, "guard");
    }

    /** The session options (cadence, hold-back, debounce); default: the Guard's {@code streamOptions()}. */
    public Builder streamOptions(StreamOptions options) {
      this.streamOptions = requireNonNull(options, "options");
      return this;
    }

    /** What the user sees instead of the rest of a stopped answer. Default "Sorry, I can't help with that." */
    public Builder refusalMessage(String message) {
      this.refusalMessage = requireNonNull(message, "message");
      return this;
    }

    /** Receives the verdict that stopped or completed each stream. Default: none. */
    public Builder listener(VerdictListener listener) {
      this.listener = requireNonNull(listener, "listener");
      return this;
    }

    public GuardedStreamingChatModel build() {
      return new GuardedStreamingChatModel(this);
    }
  }
}
