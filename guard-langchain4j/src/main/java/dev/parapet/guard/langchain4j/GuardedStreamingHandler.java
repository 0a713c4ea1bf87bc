package dev.parapet.guard.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.FinishReason;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamingSession;
import java.util.HashMap;
import java.util.Map;

/**
 * The handler {@link GuardedStreamingChatModel} gives the wrapped model: one per request, owns its session.
 * Methods are synchronized because providers may deliver callbacks from different (sequential) threads; the
 * session itself is single-threaded.
 */
final class GuardedStreamingHandler implements StreamingChatResponseHandler {
  private final StreamingSession session;
  private final StreamingChatResponseHandler downstream;
  private final String refusal;
  private final VerdictListener listener;
  private final StringBuilder released = new StringBuilder();
  private boolean done;

  GuardedStreamingHandler(
      StreamingSession session, StreamingChatResponseHandler downstream, String refusal, VerdictListener listener) {
    this.session = session;
    this.downstream = downstream;
    this.refusal = refusal;
    this.listener = listener;
  }

  @Override
  public synchronized void onPartialResponse(String token) {
    onToken(token, null, null);
  }

  @Override
  public synchronized void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
    onToken(partial.text(), context, context == null ? null : context.streamingHandle());
  }

  private void onToken(String token, PartialResponseContext context, StreamingHandle handle) {
    if (done) {
      cancel(handle); // a provider that ignored the first cancel: ask again, forward nothing
      return;
    }
    StreamDecision d;
    try {
      d = session.onToken(token == null ? "" : token);
    } catch (RuntimeException e) {
      cancel(handle);
      fail(e);
      return;
    }
    if (d instanceof StreamDecision.Stop stop) {
      cancel(handle);
      stop(stop.stopVerdict(), context);
    } else {
      forward(d.released(), context);
    }
  }

  @Override
  public synchronized void onCompleteResponse(ChatResponse response) {
    if (done) {
      return;
    }
    StreamDecision d;
    try {
      d = session.finish();
    } catch (RuntimeException e) {
      fail(e);
      return;
    }
    if (d instanceof StreamDecision.Stop stop) {
      stop(stop.stopVerdict(), null);
      return;
    }
    forward(d.released(), null);
    Verdict verdict = d.verdict().orElseThrow();
    done = true;
    session.close();
    Messages.notify(listener, verdict);
    AiMessage ai = response.aiMessage();
    downstream.onCompleteResponse(response.toBuilder().aiMessage(withVerdict(ai, verdict)).build());
  }

  @Override
  public synchronized void onError(Throwable error) {
    if (done) {
      return; // e.g. the provider reporting our own cancellation
    }
    done = true;
    session.close();
    downstream.onError(error);
  }

  @Override
  public void onPartialThinking(PartialThinking thinking) {
    downstream.onPartialThinking(thinking);
  }

  @Override
  public void onPartialThinking(PartialThinking thinking, PartialThinkingContext context) {
    downstream.onPartialThinking(thinking, context);
  }

  @Override
  public void onPartialToolCall(PartialToolCall call) {
    downstream.onPartialToolCall(call);
  }

  @Override
  public void onPartialToolCall(PartialToolCall call, PartialToolCallContext context) {
    downstream.onPartialToolCall(call, context);
  }

  @Override
  public void onCompleteToolCall(CompleteToolCall call) {
    downstream.onCompleteToolCall(call);
  }

  @Override
  public void onUnmappedRawEvent(Object event) {
    downstream.onUnmappedRawEvent(event);
  }

  synchronized void closeSession() {
    done = true;
    session.close();
  }

  private void forward(String text, PartialResponseContext context) {
    if (text.isEmpty()) {
      return;
    }
    released.append(text);
    if (context != null) {
      downstream.onPartialResponse(new PartialResponse(text), context);
    } else {
      downstream.onPartialResponse(text);
    }
  }

  private void stop(Verdict verdict, PartialResponseContext context) {
    done = true;
    session.close();
    Messages.notify(listener, verdict);
    if (!refusal.isEmpty()) {
      if (context != null) {
        downstream.onPartialResponse(new PartialResponse(refusal), context);
      } else {
        downstream.onPartialResponse(refusal);
      }
    }
    AiMessage shown = withVerdict(AiMessage.from(released + refusal), verdict);
    downstream.onCompleteResponse(ChatResponse.builder()
        .aiMessage(shown)
        .metadata(ChatResponseMetadata.builder().finishReason(FinishReason.CONTENT_FILTER).build())
        .build());
  }

  private void fail(RuntimeException e) {
    done = true;
    session.close();
    downstream.onError(e);
  }

  private static void cancel(StreamingHandle handle) {
    if (handle != null && !handle.isCancelled()) {
      handle.cancel();
    }
  }

  private static AiMessage withVerdict(AiMessage ai, Verdict verdict) {
    Map<String, Object> attributes = new HashMap<>(ai.attributes());
    attributes.put(GuardedStreamingChatModel.VERDICT_ATTRIBUTE, verdict.toJson());
    return ai.toBuilder().attributes(attributes).build();
  }
}
