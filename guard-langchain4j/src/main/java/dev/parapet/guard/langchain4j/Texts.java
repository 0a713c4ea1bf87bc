package dev.parapet.guard.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.guardrail.GuardrailRequestParams;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.input.PromptTemplate;
import dev.parapet.guard.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Turns LangChain4j messages into the texts and turns Parapet judges. */
final class Texts {
  private Texts() {}

  /** The text parts of a user message, joined by newlines; images, audio and other media are not judged. */
  static String text(UserMessage message) {
    return message.contents().stream()
        .filter(c -> c instanceof TextContent)
        .map(c -> ((TextContent) c).text())
        .collect(Collectors.joining("\n"));
  }

  /**
   * The user's prompt behind an output guardrail request, in this order: the user message template rendered
   * with the method's variables (what AI Services sent, before RAG augmentation and format instructions), the
   * invocation context's user message, the last user message in the chat memory.
   */
  static Optional<String> prompt(GuardrailRequestParams params) {
    String template = params.userMessageTemplate();
    if (template != null && !template.isBlank()) {
      try {
        return Optional.of(PromptTemplate.from(template).apply(params.variables()).text());
      } catch (RuntimeException e) {
        // a template AI Services could render but we cannot (should not happen): use the other sources
      }
    }
    if (params.invocationContext() != null && params.invocationContext().userMessage() != null) {
      return Optional.of(text(params.invocationContext().userMessage()));
    }
    ChatMemory memory = params.chatMemory();
    if (memory != null) {
      List<ChatMessage> messages = memory.messages();
      for (int i = messages.size() - 1; i >= 0; i--) {
        if (messages.get(i) instanceof UserMessage u) {
          return Optional.of(text(u));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The conversation up to and including the last user message, as Parapet turns (system, user and assistant
   * text; tool calls and tool results are left out). Without a user message, one empty user turn: the
   * response is then judged on its own.
   */
  static List<Turn> promptTurns(List<ChatMessage> messages) {
    int last = -1;
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i) instanceof UserMessage) {
        last = i;
        break;
      }
    }
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i <= last; i++) {
      ChatMessage m = messages.get(i);
      if (m instanceof SystemMessage s) {
        turns.add(Turn.system(s.text()));
      } else if (m instanceof UserMessage u) {
        turns.add(Turn.user(text(u)));
      } else if (m instanceof AiMessage a && a.text() != null) {
        turns.add(Turn.assistant(a.text()));
      }
    }
    if (last < 0) {
      turns.add(Turn.user(""));
    }
    return turns;
  }

}
