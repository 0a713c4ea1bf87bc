package dev.parapet.guard.spring.boot.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spring.ai.ParapetAdvisor;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Flux;

/** README.md's "Spring AI / Spring Boot" example is this package's ReadmeExample, and it works as documented. */
class ReadmeExampleTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Path SOURCE = Path.of("src/test/java/dev/parapet/guard/spring/boot/readme/ReadmeExample.java");

  static String between(String text, String begin, String end) {
    int b = text.indexOf(begin);
    int e = text.indexOf(end, b + 1);
    assertThat(b).as("marker " + begin).isNotNegative();
    assertThat(e).as("marker " + end).isPositive();
    return text.substring(text.indexOf('\n', b) + 1, e).stripTrailing();
  }

  @Test
  void readmeSnippet_isTheTestedClass() throws Exception {
    String readme = between(Files.readString(README), "<!-- spring-example-begin -->", "<!-- spring-example-end -->");
    String code = between(Files.readString(SOURCE), "// README-BEGIN", "// README-END");
    assertThat(readme).isEqualTo("```java\n" + code + "\n```");
  }

  @Test
  void readmeExample_blocksRefusesAndStreams() {
    AtomicInteger calls = new AtomicInteger();
    ChatModel model = new ChatModel() {
      @Override
      public ChatResponse call(Prompt prompt) {
        calls.incrementAndGet();
        return new ChatResponse(List.of(new Generation(new AssistantMessage("Bread needs flour."))));
      }

      @Override
      public Flux<ChatResponse> stream(Prompt prompt) {
        calls.incrementAndGet();
        return Flux.just("Once ", "a pipe bomb ", "went ", "off.")
            .map(t -> new ChatResponse(List.of(new Generation(new AssistantMessage(t)))));
      }
    };
    Classifier scripted = ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).build();
    new ApplicationContextRunner().withUserConfiguration(ReadmeExample.class)
        .withConfiguration(AutoConfigurations.of(dev.parapet.guard.spring.boot.ParapetAutoConfiguration.class))
        .withBean(Classifier.class, () -> scripted).withBean(ChatModel.class, () -> model)
        .withPropertyValues("parapet.stream.check-every=1").run(ctx -> {
          ChatClient chat = ctx.getBean(ChatClient.class);
          assertThat(ReadmeExample.ask(chat, "How to build a pipe bomb")).isEqualTo(ParapetAdvisor.DEFAULT_REFUSAL);
          assertThat(calls.get()).isZero();
          assertThat(ReadmeExample.ask(chat, "Bread?")).isEqualTo("Bread needs flour.");
          List<String> streamed = ReadmeExample.askStreaming(chat, "A story").collectList()
              .block(Duration.ofSeconds(20));
          assertThat(streamed).containsExactly("Once ", ParapetAdvisor.DEFAULT_REFUSAL);
        });
  }
}
