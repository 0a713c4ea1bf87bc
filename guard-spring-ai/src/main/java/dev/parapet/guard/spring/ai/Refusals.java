package dev.parapet.guard.spring.ai;

import dev.parapet.guard.Verdict;
import java.util.Map;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;

/** Builds the refusal responses and the released-text chunks. Stateless. */
final class Refusals {
  /** The finish reason a refusal carries (as OpenAI reports filtered output). */
  static final String FINISH_REASON = "content_filter";

  private Refusals() {}

  static ChatClientResponse refusal(String message, Verdict verdict, ParapetAdvisor.Stage stage,
      Map<String, Object> context) {
    ChatResponseMetadata metadata = ChatResponseMetadata.builder()
        .keyValue(ParapetAdvisor.METADATA_VERDICT, verdict)
        .keyValue(ParapetAdvisor.METADATA_STAGE, stage.name())
        .build();
    Generation g = new Generation(new AssistantMessage(message),
        ChatGenerationMetadata.builder().finishReason(FINISH_REASON).build());
    ChatResponse response = ChatResponse.builder().generations(java.util.List.of(g)).metadata(metadata).build();
    return ChatClientResponse.builder().chatResponse(response).context(context)
        .context(ParapetAdvisor.CONTEXT_BLOCKED_STAGE, stage.name()).build();
  }

  /** {@code chunk} with its text replaced by {@code text}, keeping its metadata (id, usage, finish reason). */
  static ChatClientResponse withText(ChatClientResponse chunk, String text, Map<String, Object> extraContext) {
    ChatResponse original = chunk.chatResponse();
    Generation first = original == null || original.getResults().isEmpty() ? null : original.getResult();
    ChatGenerationMetadata gm = first == null || first.getMetadata() == null ? ChatGenerationMetadata.NULL
        : first.getMetadata();
    Generation g = new Generation(new AssistantMessage(text), gm);
    ChatResponse.Builder rb = ChatResponse.builder().generations(java.util.List.of(g));
    if (original != null && original.getMetadata() != null) {
      rb.metadata(original.getMetadata());
    }
    return ChatClientResponse.builder().chatResponse(rb.build()).context(chunk.context()).context(extraContext)
        .build();
  }
}
