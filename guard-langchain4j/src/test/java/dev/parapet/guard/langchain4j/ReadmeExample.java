package dev.parapet.guard.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.parapet.guard.Guard;

/** The README's LangChain4j example; ReadmeExampleTest checks the README holds exactly the marked region. */
final class ReadmeExample {
  private ReadmeExample() {}

  // README:begin
  interface Assistant {
    String chat(String message);
    TokenStream stream(String message);
  }

  static Assistant guardedAssistant(Guard guard, ChatModel model, StreamingChatModel streamingModel) {
    return AiServices.builder(Assistant.class)
        .chatModel(model)
        .inputGuardrails(new ParapetInputGuardrail(guard))     // BLOCK: the model is never called
        .outputGuardrails(new ParapetOutputGuardrail(guard))   // judges prompt + response
        .streamingChatModel(GuardedStreamingChatModel.builder(streamingModel, guard)
            .refusalMessage("Sorry, I can't help with that.").build()) // stops and cancels mid-stream
        .build();
  }
  // README:end
}
