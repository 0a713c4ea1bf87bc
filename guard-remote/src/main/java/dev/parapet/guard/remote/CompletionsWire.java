package dev.parapet.guard.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.ClassificationException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The JSON of vLLM's OpenAI-compatible {@code POST /v1/completions}, for one next-token read.
 *
 * <p>Request: the prompt as a list of token ids (vLLM takes ids as they are: no bos added, no special-token
 * parsing, so the special-token defence done on our side holds), {@code max_tokens: 1} (only the first answer
 * position is read: every later decision is a separate, teacher-forced read), {@code temperature: 0},
 * {@code logprobs: k} and {@code return_tokens_as_token_ids: true}, which makes vLLM key {@code top_logprobs} by
 * {@code "token_id:N"} instead of decoded text (text keys collapse distinct ids such as {@code "safe"} and
 * {@code " safe"}).
 *
 * <p>Response: {@code choices[0].logprobs} = {@code {"tokens": ["token_id:N"], "token_logprobs": [lp],
 * "top_logprobs": [{"token_id:N": lp, ...}], "text_offset": [0]}}. The generated text is never read.
 *
 * <p>Stateless and thread-safe.
 */
final class CompletionsWire {
  static final String ID_PREFIX = "token_id:";
  private static final ObjectMapper JSON = new ObjectMapper();

  private CompletionsWire() {}

  static String request(String model, long[] promptIds, int topLogprobs) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    ArrayNode prompt = body.putArray("prompt");
    for (long id : promptIds) {
      prompt.add(id);
    }
    body.put("max_tokens", 1);
    body.put("temperature", 0);
    body.put("logprobs", topLogprobs);
    body.put("return_tokens_as_token_ids", true);
    try {
      return JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a completions request", e); // never: plain tree of numbers
    }
  }

  /**
   * The log-probability of each of {@code optionIds} at the first generated position.
   *
   * <p>An option missing from the top-k gets the lowest log-probability the server returned: its true value is at
   * most that, so the estimate is an upper bound (for the unsafe option, the conservative side). When no option is
   * in the top-k at all the read cannot be trusted and fails.
   *
   * @throws ClassificationException naming what is wrong with the body (malformed or truncated JSON, no logprobs,
   *     text keys instead of ids, none of the decision tokens)
   */
  static double[] optionLogprobs(String body, long[] optionIds, String where) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ClassificationException(where + ": malformed or truncated JSON in the completions response at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage()
          + " (" + body.length() + " chars received)", e);
    }
    if (root == null || !root.isObject()) {
      throw new ClassificationException(where + ": the completions response is not a JSON object");
    }
    JsonNode logprobs = root.path("choices").path(0).path("logprobs");
    JsonNode top = logprobs.path("top_logprobs").path(0);
    if (!top.isObject()) {
      throw new ClassificationException(where + ": the completions response has no choices[0].logprobs"
          + ".top_logprobs[0]; the server ignored \"logprobs\" (is it an OpenAI-compatible completions endpoint such as"
          + " vLLM's?)");
    }
    Map<Long, Double> byId = new HashMap<>();
    boolean textKeys = false;
    for (Iterator<Map.Entry<String, JsonNode>> it = top.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Long id = parseId(e.getKey());
      if (id == null) {
        textKeys = true;
      } else if (e.getValue().isNumber()) {
        byId.merge(id, e.getValue().asDouble(), Math::max);
      }
    }
    // the sampled token is always reported, even when vLLM's top-k omits it
    Long sampled = parseId(logprobs.path("tokens").path(0).asText(""));
    JsonNode sampledLp = logprobs.path("token_logprobs").path(0);
    if (sampled != null && sampledLp.isNumber()) {
      byId.merge(sampled, sampledLp.asDouble(), Math::max);
    }
    if (byId.isEmpty()) {
      throw new ClassificationException(where + ": top_logprobs are keyed by "
          + (textKeys ? "token text, not \"token_id:N\": the server ignored return_tokens_as_token_ids (upgrade vLLM;"
              + " its OpenAI server supports the flag)" : "nothing (empty)"));
    }
    double floor = Double.POSITIVE_INFINITY;
    for (double v : byId.values()) {
      floor = Math.min(floor, v);
    }
    double[] out = new double[optionIds.length];
    boolean any = false;
    for (int i = 0; i < optionIds.length; i++) {
      Double v = byId.get(optionIds[i]);
      any |= v != null;
      out[i] = v != null ? v : floor;
      if (Double.isNaN(out[i])) {
        throw new ClassificationException(where + ": log-probability NaN for token " + optionIds[i]);
      }
    }
    if (!any) {
      throw new ClassificationException(where + ": none of the decision tokens " + Arrays.toString(optionIds)
          + " is among the " + byId.size() + " top log-probabilities the server returned; the served model does not"
          + " answer like this guard family (wrong --served-model-name, family or tokenizer.json?), or raise"
          + " topLogprobs (vLLM caps it with --max-logprobs)");
    }
    return out;
  }

  private static Long parseId(String key) {
    if (!key.startsWith(ID_PREFIX)) {
      return null;
    }
    try {
      return Long.parseLong(key.substring(ID_PREFIX.length()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The server's error message from vLLM's error body ({@code {"message": ...}} or {@code {"error": {...}}}). */
  static String errorMessage(String body) {
    if (body == null || body.isBlank()) {
      return "(empty body)";
    }
    try {
      JsonNode root = JSON.readTree(body);
      JsonNode msg = root.path("error").isObject() ? root.path("error").path("message") : root.path("message");
      if (msg.isTextual()) {
        return msg.asText();
      }
    } catch (JsonProcessingException e) {
      // not JSON: fall through to the raw text
    }
    String s = body.strip();
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
