package dev.parapet.guard.spring.ai;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.ai.chat.client.ChatClientResponse;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * Runs one streamed response through a {@link StreamingSession}. The session is used from one thread at a time:
 * {@code publishOn} serializes the chunks onto the scheduler, and the finish step runs after the last chunk.
 * {@code publishOn(scheduler, 1)} requests one chunk at a time, so after a STOP the model has produced at most
 * one chunk more than the session saw before the cancel reaches it.
 */
final class StreamGuarding {
  private final Guard guard;
  private final StreamOptions options;
  private final String refusalMessage;
  private final Scheduler scheduler;
  private final ParapetAdvisor.StreamStopListener stopListener;

  StreamGuarding(Guard guard, StreamOptions options, String refusalMessage, Scheduler scheduler,
      ParapetAdvisor.StreamStopListener stopListener) {
    this.guard = guard;
    this.options = options;
    this.refusalMessage = refusalMessage;
    this.scheduler = scheduler;
    this.stopListener = stopListener;
  }

  Flux<ChatClientResponse> guard(Conversation prompt, Verdict promptVerdict, Flux<ChatClientResponse> upstream) {
    return Flux.using(() -> guard.openStream(prompt, options), session -> {
      // the latest chunk whose text was not emitted: its metadata (finish reason, usage) goes on the last chunk
      AtomicReference<ChatClientResponse> unsent = new AtomicReference<>();
      Flux<Out> body = upstream.publishOn(scheduler, 1).<Out>handle((chunk, sink) -> {
        StreamDecision d = session.onToken(Conversations.text(chunk.chatResponse()));
        if (d instanceof StreamDecision.Stop stop) {
          sink.next(new Out(refusal(stop, promptVerdict, chunk.context()), true));
        } else if (!d.released().isEmpty()) {
          unsent.set(null);
          sink.next(new Out(Refusals.withText(chunk, d.released(), context(promptVerdict, d)), false));
        } else {
          unsent.set(chunk);
        }
      }).takeUntil(Out::stop); // takeUntil cancels the upstream subscription: the model call is cancelled
      Flux<Out> end = Flux.defer(() -> {
        if (session.stopped()) {
          return Flux.empty();
        }
        StreamDecision d = session.finish();
        ChatClientResponse last = unsent.get();
        if (d instanceof StreamDecision.Stop stop) {
          return Flux.just(new Out(refusal(stop, promptVerdict, last == null ? Map.of() : last.context()), true));
        }
        if (d.released().isEmpty() && last == null) {
          return Flux.empty();
        }
        ChatClientResponse base = last != null ? last
            : ChatClientResponse.builder().chatResponse(null).context(Map.of()).build();
        return Flux.just(new Out(Refusals.withText(base, d.released(), context(promptVerdict, d)), false));
      }).subscribeOn(scheduler);
      return body.concatWith(end).map(Out::response);
    }, StreamingSession::close);
  }

  private ChatClientResponse refusal(StreamDecision.Stop stop, Verdict promptVerdict, Map<String, Object> ctx) {
    try {
      stopListener.streamStopped(stop.stopVerdict(), stop.stoppedAtToken());
    } catch (RuntimeException ignored) {
      // a metrics listener never breaks the stream
    }
    Map<String, Object> context = new HashMap<>(ctx);
    context.put(ParapetAdvisor.CONTEXT_PROMPT_VERDICT, promptVerdict);
    context.put(ParapetAdvisor.CONTEXT_RESPONSE_VERDICT, stop.stopVerdict());
    return Refusals.refusal(refusalMessage, stop.stopVerdict(), ParapetAdvisor.Stage.STREAM, context);
  }

  private static Map<String, Object> context(Verdict promptVerdict, StreamDecision d) {
    Map<String, Object> m = new HashMap<>();
    m.put(ParapetAdvisor.CONTEXT_PROMPT_VERDICT, promptVerdict);
    d.verdict().ifPresent(v -> m.put(ParapetAdvisor.CONTEXT_RESPONSE_VERDICT, v));
    return m;
  }

  private record Out(ChatClientResponse response, boolean stop) {}
}
