package dev.parapet.guard.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-test ChatModel that answers with a fixed text and counts its calls. */
final class CountingChatModel implements ChatModel {
  private final String answer;
  final AtomicInteger calls = new AtomicInteger();

  CountingChatModel(String answer) {
    this.answer = answer;
  }

  @Override
  public ChatResponse doChat(ChatRequest request) {
    calls.incrementAndGet();
    return ChatResponse.builder().aiMessage(AiMessage.from(answer)).build();
  }
}
