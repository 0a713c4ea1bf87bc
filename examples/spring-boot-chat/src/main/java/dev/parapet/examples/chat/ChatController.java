package dev.parapet.examples.chat;

import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.spring.ai.ParapetAdvisor;
import java.util.List;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;

/** {@code GET /chat?message=...} answers JSON; {@code GET /chat/stream?message=...} streams the text (SSE). */
@RestController
class ChatController {
  private final ChatClient chat;

  ChatController(ChatClient chat) {
    this.chat = chat;
  }

  /** The answer, and whether Parapet refused (with the triggered category names, never scores or texts). */
  record Answer(String answer, boolean blocked, List<String> categories) {}

  @GetMapping(path = "/chat", produces = MediaType.APPLICATION_JSON_VALUE)
  Answer chat(@RequestParam("message") String message) {
    ChatClientResponse r = chat.prompt().user(message).call().chatClientResponse();
    String text = r.chatResponse().getResult().getOutput().getText();
    Object verdict = r.chatResponse().getMetadata().get(ParapetAdvisor.METADATA_VERDICT);
    if (verdict instanceof Verdict v && v.isBlocked()) {
      return new Answer(text, true, v.triggered().stream().map(Triggered::name).toList());
    }
    return new Answer(text, false, List.of());
  }

  @GetMapping(path = "/chat/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<String> stream(@RequestParam("message") String message) {
    return chat.prompt().user(message).stream().content();
  }
}
