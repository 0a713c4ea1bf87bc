package dev.parapet.guard.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Role;
import dev.parapet.guard.Turn;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Reads request bodies into Parapet values. Every error is an {@link ApiException} (400) whose {@code param}
 * names the field ({@code input[1]}, {@code messages[0].content}) and whose message says what to send. Texts
 * are never echoed in messages. Thread-safe (the mapper is configured once, then only read).
 */
final class Requests {
  static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final int maxTextChars;
  private final int maxInputs;

  Requests(ServerLimits limits) {
    this.maxTextChars = limits.maxTextChars();
    this.maxInputs = limits.maxInputs();
  }

  /** The body as a JSON object. */
  JsonNode object(byte[] body, Set<String> allowedKeys) {
    if (body.length == 0) {
      throw ApiException.invalid(null, "the request body is empty; send a JSON object (Content-Type: application/json)");
    }
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")"));
    } catch (java.io.IOException e) {
      throw ApiException.invalid(null, "the request body could not be read as JSON");
    }
    if (n == null || !n.isObject()) {
      throw ApiException.invalid(null, "the request body must be a JSON object, was " + kind(n));
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!allowedKeys.contains(k)) {
        throw ApiException.invalid(k, "unknown field \"" + k + "\"; allowed: " + new java.util.TreeSet<>(allowedKeys));
      }
    }
    return n;
  }

  /** OpenAI's {@code input}: a string, an array of strings, or an array of {@code {"type":"text","text":...}}. */
  List<String> moderationInput(JsonNode body) {
    JsonNode in = body.get("input");
    if (in == null || in.isNull()) {
      throw ApiException.invalid("input", "\"input\" is required: a string or an array of strings");
    }
    if (in.isTextual()) {
      return List.of(text(in, "input"));
    }
    if (!in.isArray()) {
      throw ApiException.invalid("input", "\"input\" must be a string or an array of strings, was " + kind(in));
    }
    if (in.isEmpty()) {
      throw ApiException.invalid("input", "\"input\" is an empty array; send at least one string");
    }
    if (in.size() > maxInputs) {
      throw ApiException.invalid("input", "\"input\" has " + in.size() + " items; at most " + maxInputs
          + " per request (split it into several requests)");
    }
    List<String> out = new ArrayList<>(in.size());
    for (int i = 0; i < in.size(); i++) {
      JsonNode item = in.get(i);
      String param = "input[" + i + "]";
      if (item.isObject()) {
        JsonNode type = item.get("type");
        if (type == null || !type.isTextual() || !type.asText().equals("text")) {
          throw ApiException.invalid(param + ".type", "only {\"type\": \"text\", \"text\": ...} items are "
              + "supported (Parapet moderates text, not images)");
        }
        JsonNode t = item.get("text");
        if (t == null || !t.isTextual()) {
          throw ApiException.invalid(param + ".text", param + ".text must be a string");
        }
        out.add(text(t, param + ".text"));
      } else if (item.isTextual()) {
        out.add(text(item, param));
      } else {
        throw ApiException.invalid(param, param + " must be a string, was " + kind(item));
      }
    }
    return out;
  }

  /** Optional string field ({@code model}). */
  Optional<String> optionalString(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      throw ApiException.invalid(field, "\"" + field + "\" must be a string, was " + kind(n));
    }
    return Optional.of(n.asText());
  }

  /** {@code messages}: a non-empty array of {@code {"role", "content"}}. */
  Conversation conversation(JsonNode body) {
    JsonNode msgs = body.get("messages");
    if (msgs == null || msgs.isNull()) {
      throw ApiException.invalid("messages", "\"messages\" is required: an array of {\"role\": \"user\", "
          + "\"content\": \"...\"} (roles system, user, assistant, tool)");
    }
    if (!msgs.isArray()) {
      throw ApiException.invalid("messages", "\"messages\" must be an array, was " + kind(msgs));
    }
    if (msgs.isEmpty()) {
      throw ApiException.invalid("messages", "\"messages\" is empty; send at least one user turn");
    }
    if (msgs.size() > maxInputs) {
      throw ApiException.invalid("messages", "\"messages\" has " + msgs.size() + " turns; at most " + maxInputs);
    }
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i < msgs.size(); i++) {
      JsonNode m = msgs.get(i);
      String p = "messages[" + i + "]";
      if (!m.isObject()) {
        throw ApiException.invalid(p, p + " must be an object {\"role\", \"content\"}, was " + kind(m));
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual()) {
        throw ApiException.invalid(p + ".role", p + ".role must be a string: system, user, assistant or tool");
      }
      Role r;
      try {
        r = Role.valueOf(role.asText().trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid(p + ".role", p + ".role is not a known role; use system, user, assistant or tool");
      }
      JsonNode content = m.get("content");
      if (content == null || !content.isTextual()) {
        throw ApiException.invalid(p + ".content", p + ".content must be a string, was " + kind(content));
      }
      turns.add(new Turn(r, text(content, p + ".content")));
    }
    try {
      return Conversation.of(turns);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("messages", e.getMessage());
    }
  }

  /** Optional {@code policy}: a policy spec string. */
  Optional<Policy> policy(JsonNode body) {
    return optionalString(body, "policy").map(spec -> {
      try {
        return PolicySpec.parse(spec);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("policy", e.getMessage());
      }
    });
  }

  /** Optional {@code taxonomy}: a preset name or an inline taxonomy object (never a server-side file). */
  Optional<Taxonomy> taxonomy(JsonNode body) {
    JsonNode t = body.get("taxonomy");
    if (t == null || t.isNull()) {
      return Optional.empty();
    }
    try {
      if (t.isTextual()) {
        return Optional.of(Taxonomies.named(t.asText()));
      }
      if (t.isObject()) {
        return Optional.of(Taxonomy.fromJson(JSON.writeValueAsString(t)));
      }
    } catch (IllegalArgumentException | JsonProcessingException | java.io.UncheckedIOException e) {
      throw ApiException.invalid("taxonomy", e.getMessage());
    }
    throw ApiException.invalid("taxonomy", "\"taxonomy\" must be a preset name (llama-guard-3, llama-guard-3-1b, "
        + "aegis-2.0, ailuminate-1.0) or a taxonomy object {\"name\", \"categories\"}, was " + kind(t));
  }

  /** Optional {@code options} of a stream session. */
  StreamOptions streamOptions(JsonNode body, StreamOptions base) {
    JsonNode o = body.get("options");
    if (o == null || o.isNull()) {
      return base;
    }
    if (!o.isObject()) {
      throw ApiException.invalid("options", "\"options\" must be an object, was " + kind(o));
    }
    StreamOptions.Builder b = base.toBuilder();
    for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
      String k = it.next();
      JsonNode v = o.get(k);
      String p = "options." + k;
      try {
        switch (k) {
          case "checkEveryTokens" -> b.checkEveryTokens(integer(v, p));
          case "holdBackTokens" -> b.holdBackTokens(integer(v, p));
          case "debounce" -> b.debounce(integer(v, p));
          case "maxResponseChars" -> b.maxResponseChars(integer(v, p));
          case "checkAtSentenceEnd" -> {
            if (!v.isBoolean()) {
              throw ApiException.invalid(p, p + " must be true or false, was " + kind(v));
            }
            b.checkAtSentenceEnd(v.asBoolean());
          }
          default -> throw ApiException.invalid(p, "unknown stream option \"" + k + "\"; allowed: checkEveryTokens, "
              + "holdBackTokens, debounce, maxResponseChars, checkAtSentenceEnd");
        }
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid(p, e.getMessage());
      }
    }
    return b.build();
  }

  /** {@code tokens}: an array of strings (each may be empty), or {@code text}: one string. */
  List<String> tokens(JsonNode body) {
    JsonNode tokens = body.get("tokens");
    JsonNode text = body.get("text");
    if (tokens != null && text != null) {
      throw ApiException.invalid("tokens", "give \"tokens\" (an array of strings) or \"text\" (a string), not both");
    }
    if (text != null) {
      if (!text.isTextual()) {
        throw ApiException.invalid("text", "\"text\" must be a string, was " + kind(text));
      }
      return List.of(chunk(text, "text"));
    }
    if (tokens == null || !tokens.isArray()) {
      throw ApiException.invalid("tokens", "\"tokens\" is required: an array of strings (the model's next pieces)");
    }
    if (tokens.size() > 4096) {
      throw ApiException.invalid("tokens", "\"tokens\" has " + tokens.size() + " items; at most 4096 per request");
    }
    List<String> out = new ArrayList<>(tokens.size());
    int total = 0;
    for (int i = 0; i < tokens.size(); i++) {
      JsonNode t = tokens.get(i);
      if (!t.isTextual()) {
        throw ApiException.invalid("tokens[" + i + "]", "tokens[" + i + "] must be a string, was " + kind(t));
      }
      total += t.asText().length();
      if (total > maxTextChars) {
        throw ApiException.invalid("tokens", "the tokens of one request hold more than " + maxTextChars
            + " chars; send them in several requests");
      }
      out.add(t.asText());
    }
    return out;
  }

  private String chunk(JsonNode n, String param) {
    String s = n.asText();
    if (s.length() > maxTextChars) {
      throw tooLong(param, s.length());
    }
    return s;
  }

  private String text(JsonNode n, String param) {
    String s = n.asText();
    if (s.isEmpty()) {
      throw ApiException.invalid(param, param + " is empty; send the text to check");
    }
    if (s.length() > maxTextChars) {
      throw tooLong(param, s.length());
    }
    return s;
  }

  private ApiException tooLong(String param, int length) {
    return new ApiException(400, "invalid_request_error", param, "text_too_long", param + " is " + length
        + " chars; the server accepts at most " + maxTextChars + " per text (split it, or raise --max-text-chars)",
        java.util.Map.of());
  }

  private static int integer(JsonNode v, String param) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiException.invalid(param, param + " must be an integer, was " + kind(v));
    }
    return v.asInt();
  }

  static String kind(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "missing";
    }
    return switch (n.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }
}
