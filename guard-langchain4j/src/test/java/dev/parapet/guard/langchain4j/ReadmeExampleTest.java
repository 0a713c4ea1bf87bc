package dev.parapet.guard.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.guardrail.InputGuardrailException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.parapet.guard.Guard;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's LangChain4j snippet is ReadmeExample's marked region, character for character, and it works. */
class ReadmeExampleTest {

  private static String region(String text, String begin, String end) {
    int b = text.indexOf(begin);
    int e = b < 0 ? -1 : text.indexOf(end, b + begin.length());
    assertTrue(b >= 0 && e >= 0, "markers " + begin + " / " + end + " not found");
    return text.substring(b + begin.length(), e);
  }

  private static String dedent(String block) {
    int indent = block.lines().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return String.join("\n", block.lines().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
  }

  @Test
  void readmeSnippet_equalsTheCompiledExample() throws IOException {
    Path root = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."));
    Path readme = root.resolve("README.md");
    if (!Files.exists(readme)) {
      readme = Path.of("..", "README.md");
    }
    String source = Files.readString(Path.of("src/test/java/dev/parapet/guard/langchain4j/ReadmeExample.java"));
    String example = dedent(region(source, "// README:begin\n", "  // README:end")).strip();
    String section = region(Files.readString(readme), "## LangChain4j", "\n## ");
    String snippet = region(section, "<!-- compiled: ReadmeExample -->\n```java\n", "\n```");
    assertEquals(example, snippet.strip());
  }

  @Test
  void example_blocksAndStreams() throws Exception {
    try (Guard guard = Guard.builder()
        .classifier(ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).build()).build()) {
      CountingChatModel model = new CountingChatModel("Hi!");
      ScriptedStreamingModel streaming = new ScriptedStreamingModel(List.of("Hello", " there"), true);
      ReadmeExample.Assistant a = ReadmeExample.guardedAssistant(guard, model, streaming);

      assertEquals("Hi!", a.chat("hello"));
      assertThrows(InputGuardrailException.class, () -> a.chat("pipe bomb"));
      CompletableFuture<ChatResponse> done = new CompletableFuture<>();
      a.stream("hello").onPartialResponse(t -> {}).onCompleteResponse(done::complete)
          .onError(done::completeExceptionally).start();
      assertEquals("Hello there", done.get(30, TimeUnit.SECONDS).aiMessage().text());
      assertEquals(1, model.calls.get());
    }
  }
}
