package dev.parapet.examples.chat;

import java.util.ArrayList;
import java.util.List;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;

/**
 * DEMO ONLY, a stand-in for a real LLM provider so the example runs without network or API keys: it answers
 * every prompt with a fixed, harmless text (streamed word by word). Replace it with a Spring AI model starter.
 */
final class DemoChatModel implements ChatModel {
  static final String ANSWER = "(demo model) Thanks for your question. A real model would answer it here; "
      + "this stand-in always says the same harmless thing.";

  @Override
  public ChatResponse call(Prompt prompt) {
    return response(ANSWER);
  }

  @Override
  public Flux<ChatResponse> stream(Prompt prompt) {
    List<String> words = new ArrayList<>();
    for (String w : ANSWER.split("(?<= )")) {
      words.add(w);
    }
    return Flux.fromIterable(words).map(DemoChatModel::response);
  }

  private static ChatResponse response(String text) {
    return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
  }
}
