package dev.parapet.guard.spring.ai;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;

/**
 * A ChatModel that answers every prompt with scripted tokens (no network). It counts calls, tokens produced and
 * cancellations. With a pace semaphore, token i is produced only after a permit is taken (a model slower than
 * the guard: the test releases a permit per guard check).
 */
final class ScriptedChatModel implements ChatModel {
  private final List<String> tokens;
  private final Semaphore pace;
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger streams = new AtomicInteger();
  final AtomicInteger produced = new AtomicInteger();
  final CountDownLatch cancelled = new CountDownLatch(1);
  final CountDownLatch completed = new CountDownLatch(1);
  final List<Prompt> prompts = new CopyOnWriteArrayList<>();

  ScriptedChatModel(List<String> tokens) {
    this(tokens, null);
  }

  ScriptedChatModel(List<String> tokens, Semaphore pace) {
    this.tokens = List.copyOf(tokens);
    this.pace = pace;
  }

  @Override
  public ChatResponse call(Prompt prompt) {
    calls.incrementAndGet();
    prompts.add(prompt);
    return new ChatResponse(List.of(new Generation(new AssistantMessage(String.join("", tokens)))));
  }

  @Override
  public Flux<ChatResponse> stream(Prompt prompt) {
    streams.incrementAndGet();
    prompts.add(prompt);
    return Flux.<ChatResponse, Integer>generate(() -> 0, (i, sink) -> {
      if (i == tokens.size()) {
        sink.complete();
        return i;
      }
      if (pace != null) {
        try {
          if (!pace.tryAcquire(10, TimeUnit.SECONDS)) {
            sink.error(new IllegalStateException("test pacing: no guard check within 10 s"));
            return i;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          sink.error(e);
          return i;
        }
      }
      produced.incrementAndGet();
      sink.next(new ChatResponse(List.of(new Generation(new AssistantMessage(tokens.get(i))))));
      return i + 1;
    }).doOnCancel(cancelled::countDown).doOnComplete(completed::countDown);
  }
}
