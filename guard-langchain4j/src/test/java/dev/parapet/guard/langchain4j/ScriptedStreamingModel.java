package dev.parapet.guard.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.FinishReason;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-test provider: streams scripted tokens, honours {@link StreamingHandle#cancel()} before each token (as the
 * real providers do by closing their HTTP stream), and counts what it produced. With {@code withContext=false}
 * it behaves like a provider without cancellation support (calls {@code onPartialResponse(String)} only).
 */
final class ScriptedStreamingModel implements StreamingChatModel {
  private final List<String> tokens;
  private final boolean withContext;
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger produced = new AtomicInteger();
  final AtomicInteger producedAtCancel = new AtomicInteger(-1);
  volatile ChatRequest lastRequest;

  ScriptedStreamingModel(List<String> tokens, boolean withContext) {
    this.tokens = List.copyOf(tokens);
    this.withContext = withContext;
  }

  @Override
  public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
    calls.incrementAndGet();
    lastRequest = request;
    AtomicBoolean cancelled = new AtomicBoolean();
    StreamingHandle handle = new StreamingHandle() {
      @Override
      public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
          producedAtCancel.set(produced.get());
        }
      }

      @Override
      public boolean isCancelled() {
        return cancelled.get();
      }
    };
    PartialResponseContext context = new PartialResponseContext(handle);
    for (String t : tokens) {
      if (cancelled.get()) {
        return; // the stream is closed: no more tokens, no completion
      }
      produced.incrementAndGet();
      if (withContext) {
        handler.onPartialResponse(new PartialResponse(t), context);
      } else {
        handler.onPartialResponse(t);
      }
    }
    handler.onCompleteResponse(ChatResponse.builder()
        .aiMessage(AiMessage.from(String.join("", tokens)))
        .finishReason(FinishReason.STOP)
        .build());
  }
}
