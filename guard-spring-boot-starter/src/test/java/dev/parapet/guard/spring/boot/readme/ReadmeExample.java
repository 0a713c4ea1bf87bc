package dev.parapet.guard.spring.boot.readme;

import dev.parapet.guard.spring.ai.ParapetAdvisor;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import reactor.core.publisher.Flux;

/** README.md's Spring example, verbatim between the markers (ReadmeExampleTest checks both). */
// README-BEGIN
@SpringBootApplication
public class ReadmeExample {
  @Bean
  ChatClient chatClient(ChatModel chatModel, ParapetAdvisor parapet) { // ParapetAdvisor: auto-configured
    return ChatClient.builder(chatModel).defaultAdvisors(parapet).build();
  }

  static String ask(ChatClient chat, String question) {
    return chat.prompt().user(question).call().content();   // the refusal message when blocked
  }

  static Flux<String> askStreaming(ChatClient chat, String question) {
    return chat.prompt().user(question).stream().content(); // cut off, model call cancelled, on STOP
  }
}
// README-END
