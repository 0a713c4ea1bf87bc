package dev.parapet.guard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Role;
import dev.parapet.guard.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads one JSONL line as a conversation to classify. Accepted shapes:
 *
 * <ul>
 *   <li>an eval record: {@code {"prompt": "...", "response": "..." | null, ...}} (other fields ignored);
 *   <li>chat messages: {@code {"messages": [{"role": "user", "content": "..."}, ...]}} ({@code turns} and
 *       {@code text} are accepted as synonyms); roles {@code system}, {@code user}, {@code assistant},
 *       {@code tool}.
 * </ul>
 */
final class ConversationJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ConversationJson() {}

  /** The parsed line: an optional id and the conversation. */
  record Parsed(String id, Conversation conversation) {}

  /** @throws IllegalArgumentException naming the problem */
  static Parsed parse(String line) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("expected a JSON object with \"prompt\" or \"messages\"");
    }
    String id = n.hasNonNull("id") && n.get("id").isValueNode() ? n.get("id").asText() : "";
    JsonNode msgs = n.has("messages") ? n.get("messages") : n.get("turns");
    if (msgs != null) {
      if (!msgs.isArray() || msgs.isEmpty()) {
        throw new IllegalArgumentException("\"messages\" must be a non-empty array of {\"role\", \"content\"}");
      }
      List<Turn> turns = new ArrayList<>();
      for (JsonNode m : msgs) {
        JsonNode role = m.get("role");
        JsonNode content = m.has("content") ? m.get("content") : m.get("text");
        if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
          throw new IllegalArgumentException("each message needs a string \"role\" and \"content\", found " + m);
        }
        Role r;
        try {
          r = Role.valueOf(role.asText().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("unknown role \"" + role.asText()
              + "\"; use system, user, assistant or tool");
        }
        turns.add(new Turn(r, content.asText()));
      }
      return new Parsed(id, Conversation.of(turns));
    }
    JsonNode p = n.get("prompt");
    if (p == null || !p.isTextual()) {
      throw new IllegalArgumentException("expected a string \"prompt\" (with optional \"response\") or a \"messages\" array");
    }
    JsonNode r = n.get("response");
    if (r != null && !r.isNull() && !r.isTextual()) {
      throw new IllegalArgumentException("\"response\" must be a string or null");
    }
    Conversation c = r == null || r.isNull() ? Conversation.ofPrompt(p.asText())
        : Conversation.ofExchange(p.asText(), r.asText());
    return new Parsed(id, c);
  }
}
