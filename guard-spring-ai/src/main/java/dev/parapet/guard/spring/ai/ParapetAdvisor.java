package dev.parapet.guard.spring.ai;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamOptions;
import java.util.Map;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.core.Ordered;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A Spring AI {@code ChatClient} advisor (call and stream) backed by a Parapet {@link Guard}.
 *
 * <pre>{@code
 * ChatClient chat = ChatClient.builder(chatModel)
 *     .defaultAdvisors(ParapetAdvisor.builder(guard).build())
 *     .build();
 * }</pre>
 *
 * <ul>
 *   <li><b>Prompt:</b> checked before the rest of the chain. BLOCK answers with a refusal response (the model is
 *       never called); the response metadata holds the verdict under {@link #METADATA_VERDICT}.
 *   <li><b>Response (call):</b> checked in the context of the prompt (prompt + response mode); BLOCK replaces it
 *       with the refusal.
 *   <li><b>Response (stream):</b> the chunks pass through a {@link dev.parapet.guard.stream.StreamingSession}:
 *       only released text is emitted; on STOP the upstream subscription is cancelled (which cancels the model
 *       call) and a final refusal chunk carries the verdict.
 *   <li><b>FLAG</b> passes; the verdict is recorded in the advisor context. <b>Classifier failure</b> follows the
 *       guard's failure mode (CLOSED by default: the refusal).
 * </ul>
 *
 * Later advisors find the prompt verdict in the request context under {@link #CONTEXT_PROMPT_VERDICT}; earlier
 * ones find the response verdict in the response context under {@link #CONTEXT_RESPONSE_VERDICT}. Classifier work
 * runs on the builder's {@link Scheduler} (default {@link Schedulers#boundedElastic()}) in streaming, never on the
 * model client's I/O thread. Immutable and thread-safe; the guard is not owned (the advisor never closes it).
 */
public final class ParapetAdvisor implements CallAdvisor, StreamAdvisor {
  /** Default order: early, before memory (HIGHEST_PRECEDENCE + 1000) and tool advisors see the request. */
  public static final int DEFAULT_ORDER = Ordered.HIGHEST_PRECEDENCE + 100;
  /** Default refusal text. */
  public static final String DEFAULT_REFUSAL = "Sorry, I can't help with that.";

  /** Request-context key: the prompt {@link Verdict}. */
  public static final String CONTEXT_PROMPT_VERDICT = "parapet.prompt.verdict";
  /** Response-context key: the response {@link Verdict} (stream: the latest check's verdict so far). */
  public static final String CONTEXT_RESPONSE_VERDICT = "parapet.response.verdict";
  /** Response-context key on a refusal: the {@link Stage} name that refused. */
  public static final String CONTEXT_BLOCKED_STAGE = "parapet.blocked.stage";
  /** {@code ChatResponseMetadata} key on a refusal: the {@link Verdict} that refused. */
  public static final String METADATA_VERDICT = "parapet.verdict";
  /** {@code ChatResponseMetadata} key on a refusal: the {@link Stage} name. */
  public static final String METADATA_STAGE = "parapet.stage";

  /** Where a refusal came from. */
  public enum Stage {
    PROMPT,
    RESPONSE,
    STREAM
  }

  private final Guard guard;
  private final int order;
  private final String refusalMessage;
  private final StreamOptions streamOptions;
  private final Scheduler scheduler;
  private final StreamStopListener stopListener;

  private ParapetAdvisor(Builder b) {
    this.guard = b.guard;
    this.order = b.order;
    this.refusalMessage = b.refusalMessage;
    this.streamOptions = b.streamOptions == null ? b.guard.streamOptions() : b.streamOptions;
    this.scheduler = b.scheduler;
    this.stopListener = b.stopListener;
  }

  public static Builder builder(Guard guard) {
    return new Builder(guard);
  }

  @Override
  public String getName() {
    return "ParapetAdvisor";
  }

  @Override
  public int getOrder() {
    return order;
  }

  public String refusalMessage() {
    return refusalMessage;
  }

  public StreamOptions streamOptions() {
    return streamOptions;
  }

  @Override
  public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
    Conversation prompt = Conversations.fromPrompt(request.prompt());
    Verdict promptVerdict = guard.check(prompt);
    if (promptVerdict.isBlocked()) {
      return Refusals.refusal(refusalMessage, promptVerdict, Stage.PROMPT,
          withVerdict(request.context(), CONTEXT_PROMPT_VERDICT, promptVerdict));
    }
    ChatClientResponse response = chain.nextCall(
        request.mutate().context(CONTEXT_PROMPT_VERDICT, promptVerdict).build());
    Verdict responseVerdict = guard.check(prompt.withResponse(Conversations.text(response.chatResponse())));
    Map<String, Object> context = withVerdict(response.context(), CONTEXT_PROMPT_VERDICT, promptVerdict);
    if (responseVerdict.isBlocked()) {
      return Refusals.refusal(refusalMessage, responseVerdict, Stage.RESPONSE,
          withVerdict(context, CONTEXT_RESPONSE_VERDICT, responseVerdict));
    }
    return response.mutate().context(CONTEXT_PROMPT_VERDICT, promptVerdict)
        .context(CONTEXT_RESPONSE_VERDICT, responseVerdict).build();
  }

  @Override
  public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
    return Mono.fromCallable(() -> {
      Conversation prompt = Conversations.fromPrompt(request.prompt());
      return new Checked(prompt, guard.check(prompt));
    }).subscribeOn(scheduler).flatMapMany(checked -> {
      if (checked.verdict.isBlocked()) {
        return Flux.just(Refusals.refusal(refusalMessage, checked.verdict, Stage.PROMPT,
            withVerdict(request.context(), CONTEXT_PROMPT_VERDICT, checked.verdict)));
      }
      ChatClientRequest next = request.mutate().context(CONTEXT_PROMPT_VERDICT, checked.verdict).build();
      return new StreamGuarding(guard, streamOptions, refusalMessage, scheduler, stopListener)
          .guard(checked.prompt, checked.verdict, chain.nextStream(next));
    });
  }

  private static Map<String, Object> withVerdict(Map<String, Object> context, String key, Verdict v) {
    java.util.HashMap<String, Object> m = new java.util.HashMap<>(context);
    m.put(key, v);
    return m;
  }

  private record Checked(Conversation prompt, Verdict verdict) {}

  /** Told when a stream is stopped (for metrics); must be fast and thread-safe; exceptions are ignored. */
  @FunctionalInterface
  public interface StreamStopListener {
    StreamStopListener NONE = (verdict, tokensSeen) -> {};

    void streamStopped(Verdict verdict, int tokensSeen);
  }

  /** Builds a {@link ParapetAdvisor}; each setter checks its argument. Not thread-safe; reusable. */
  public static final class Builder {
    private final Guard guard;
    private int order = DEFAULT_ORDER;
    private String refusalMessage = DEFAULT_REFUSAL;
    private StreamOptions streamOptions;
    private Scheduler scheduler = Schedulers.boundedElastic();
    private StreamStopListener stopListener = StreamStopListener.NONE;

    private Builder(Guard guard) {
      this.guard = requireNonNull(guard, "guard");
    }

    /** The advisor order (lower runs first); default {@link #DEFAULT_ORDER}. */
    public Builder order(int order) {
      this.order = order;
      return this;
    }

    /** The text a refusal shows the user; default {@link #DEFAULT_REFUSAL}. */
    public Builder refusalMessage(String message) {
      requireNonNull(message, "refusalMessage");
      if (message.isBlank()) {
        throw new IllegalArgumentException("refusalMessage must not be blank: the user would see an empty answer");
      }
      this.refusalMessage = message;
      return this;
    }

    /** Stream options for streamed responses; default: the guard's {@link Guard#streamOptions()}. */
    public Builder streamOptions(StreamOptions options) {
      this.streamOptions = requireNonNull(options, "streamOptions");
      return this;
    }

    /** Where stream checks run (never the model client's I/O thread); default boundedElastic. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    public Builder streamStopListener(StreamStopListener listener) {
      this.stopListener = requireNonNull(listener, "streamStopListener");
      return this;
    }

    public ParapetAdvisor build() {
      return new ParapetAdvisor(this);
    }
  }
}
