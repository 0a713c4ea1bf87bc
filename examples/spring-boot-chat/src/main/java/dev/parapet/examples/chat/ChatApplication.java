package dev.parapet.examples.chat;

import dev.parapet.guard.spring.ai.ParapetAdvisor;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A chat endpoint guarded by Parapet. The starter auto-configures the Guard (embedded model) and the
 * {@link ParapetAdvisor}; this app only adds the advisor to its ChatClient.
 */
@SpringBootApplication
public class ChatApplication {
  public static void main(String[] args) {
    SpringApplication.run(ChatApplication.class, args);
  }

  /**
   * STAND-IN for a real provider: with spring-ai-starter-model-openai (or -ollama, -anthropic...) on the
   * classpath, delete this bean and Spring AI provides the ChatModel.
   */
  @Bean
  ChatModel chatModel() {
    return new DemoChatModel();
  }

  @Bean
  ChatClient chatClient(ChatModel chatModel, ParapetAdvisor parapet) {
    return ChatClient.builder(chatModel).defaultAdvisors(parapet).build();
  }
}
