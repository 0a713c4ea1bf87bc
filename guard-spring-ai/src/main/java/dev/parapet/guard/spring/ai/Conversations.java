package dev.parapet.guard.spring.ai;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Role;
import dev.parapet.guard.Turn;
import java.util.ArrayList;
import java.util.List;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;

/** Maps Spring AI prompts and responses onto Parapet conversations. Stateless. */
final class Conversations {
  private Conversations() {}

  /**
   * The prompt conversation: every message up to and including the last USER message (later ASSISTANT/TOOL
   * messages belong to a tool round, which the response check covers). A prompt without a user message gets an
   * empty user turn, which the guard answers with ALLOW noted {@code "empty-input: not classified"}.
   */
  static Conversation fromPrompt(Prompt prompt) {
    List<Message> messages = prompt.getInstructions();
    int lastUser = -1;
    for (int i = 0; i < messages.size(); i++) {
      if (role(messages.get(i)) == Role.USER) {
        lastUser = i;
      }
    }
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i <= lastUser; i++) {
      Message m = messages.get(i);
      turns.add(new Turn(role(m), text(m)));
    }
    if (lastUser < 0) {
      for (Message m : messages) {
        if (role(m) == Role.SYSTEM) {
          turns.add(Turn.system(text(m)));
        }
      }
      turns.add(Turn.user(""));
    }
    return Conversation.of(turns);
  }

  /** The text of a response's generations, joined (null-safe: no response or tool-call-only gives ""). */
  static String text(ChatResponse response) {
    if (response == null || response.getResults() == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (Generation g : response.getResults()) {
      if (g != null && g.getOutput() != null && g.getOutput().getText() != null) {
        sb.append(g.getOutput().getText());
      }
    }
    return sb.toString();
  }

  private static Role role(Message m) {
    return switch (m.getMessageType()) {
      case USER -> Role.USER;
      case ASSISTANT -> Role.ASSISTANT;
      case SYSTEM -> Role.SYSTEM;
      case TOOL -> Role.TOOL;
    };
  }

  private static String text(Message m) {
    String t = m.getText();
    return t == null ? "" : t;
  }
}
