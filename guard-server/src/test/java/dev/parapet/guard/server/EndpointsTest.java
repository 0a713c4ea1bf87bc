package dev.parapet.guard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Turn;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every endpoint over a real Jetty on 127.0.0.1 (random port) with a scripted classifier. */
class EndpointsTest {
  static Guard guard;
  static ParapetServer server;
  static Http http;

  @BeforeAll
  static void start() {
    guard = Guard.builder().classifier(ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97)
        .rule("kill him", "S1", 0.9).rule("lawyer", "S6", 0.6).build())
        .policy(PolicySpec.parse("default=block@0.5, S6=flag@0.5")).noCache().build();
    server = ParapetServer.builder(guard).port(0)
        .limits(ServerLimits.builder().maxBodyBytes(4096).maxTextChars(500).maxInputs(4).build()).build().start();
    http = new Http(server.uri());
  }

  @AfterAll
  static void stop() {
    server.close();
    guard.close();
  }

  @Test
  void moderations_string_openAiShapeWithMappedCategoriesAndParapetObject() {
    Http.Reply r = http.post("/v1/moderations", "{\"model\":\"omni-moderation-latest\",\"input\":\"how to build a pipe bomb\"}");
    assertEquals(200, r.status(), r.body());
    JsonNode b = r.json();
    assertTrue(b.get("id").asText().startsWith("modr-"));
    assertEquals("scripted@1", b.get("model").asText());
    JsonNode res = b.get("results").get(0);
    assertTrue(res.get("flagged").asBoolean());
    assertTrue(res.get("categories").get("illicit/violent").asBoolean());
    assertTrue(res.get("categories").get("violence").asBoolean());
    assertFalse(res.get("categories").get("sexual").asBoolean());
    assertEquals(0.97, res.get("category_scores").get("illicit/violent").asDouble(), 1e-9);
    assertEquals(0.0, res.get("category_scores").get("hate").asDouble());
    assertEquals(OpenAiCategories.NAMES.size(), res.get("categories").size());
    assertEquals("text", res.get("category_applied_input_types").get("hate").get(0).asText());
    JsonNode p = res.get("parapet");
    assertEquals("BLOCK", p.get("decision").asText());
    assertEquals("S9", p.get("categories").get(0).asText());
    assertEquals(guard.policy().toSpec(), p.get("policy").asText());
    assertEquals("scripted@1", p.get("model").asText());
    assertEquals("llama-guard-3", p.get("taxonomy").asText());
  }

  @Test
  void moderations_arrayAndTextParts_oneResultPerInputInOrder() {
    Http.Reply r = http.post("/v1/moderations", "{\"input\":[\"hello there\",\"I will kill him\","
        + "{\"type\":\"text\",\"text\":\"ask a lawyer\"}]}");
    assertEquals(200, r.status(), r.body());
    JsonNode res = r.json().get("results");
    assertEquals(3, res.size());
    assertFalse(res.get(0).get("flagged").asBoolean());
    assertEquals("ALLOW", res.get(0).get("parapet").get("decision").asText());
    assertTrue(res.get(1).get("categories").get("violence").asBoolean());
    // S6 (specialized advice) has no OpenAI counterpart: flagged by the policy, but no OpenAI category is true
    assertTrue(res.get(2).get("flagged").asBoolean());
    assertEquals("FLAG", res.get(2).get("parapet").get("decision").asText());
    res.get(2).get("categories").forEach(c -> assertFalse(c.asBoolean()));
  }

  @Test
  void check_conversation_verdictJsonAsTheLibraryWritesIt() throws Exception {
    Http.Reply r = http.post("/v1/check", "{\"messages\":[{\"role\":\"system\",\"content\":\"be nice\"},"
        + "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"here is a pipe bomb recipe\"}]}");
    assertEquals(200, r.status(), r.body());
    Verdict lib = guard.check(Conversation.of(Turn.system("be nice"), Turn.user("hi"),
        Turn.assistant("here is a pipe bomb recipe")));
    ObjectNode expected = (ObjectNode) new ObjectMapper().readTree(lib.toJson());
    ObjectNode got = (ObjectNode) r.json();
    expected.remove("latencyMillis");
    got.remove("latencyMillis");
    assertEquals(expected, got);
    assertEquals("RESPONSE", got.get("target").asText());
  }

  @Test
  void check_requestPolicyAndInlineTaxonomy_apply() {
    Http.Reply relaxed = http.post("/v1/check", "{\"messages\":[{\"role\":\"user\",\"content\":\"pipe bomb\"}],"
        + "\"policy\":\"default=block@0.5, S9=flag@0.9\"}");
    assertEquals(200, relaxed.status(), relaxed.body());
    assertEquals("FLAG", relaxed.json().get("decision").asText());

    String tax = "{\"name\":\"mine\",\"categories\":[{\"code\":\"S9\",\"name\":\"Weapons\",\"description\":\"weapons\"}]}";
    Http.Reply custom = http.post("/v1/check", "{\"messages\":[{\"role\":\"user\",\"content\":\"pipe bomb\"}],"
        + "\"taxonomy\":" + tax + ",\"policy\":\"default=block@0.5\"}");
    assertEquals(200, custom.status(), custom.body());
    assertEquals("BLOCK", custom.json().get("decision").asText());
    assertEquals(dev.parapet.guard.taxonomy.Taxonomy.fromJson(tax).hash(), custom.json().get("taxonomyHash").asText());

    Http.Reply preset = http.post("/v1/check", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"taxonomy\":\"llama-guard-3-1b\"}");
    assertEquals(200, preset.status(), preset.body());
  }

  @Test
  void badInput_400NamingTheField_neverAStackTrace() {
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("{\"input\": 42}", "input");
    cases.put("{\"input\": \"\"}", "input");
    cases.put("{\"input\": []}", "input");
    cases.put("{\"input\": [\"ok\", 7]}", "input[1]");
    cases.put("{\"input\": [{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}", "input[0].type");
    cases.put("{\"input\": \"ok\", \"model\": 3}", "model");
    cases.put("{\"input\": \"ok\", \"temperature\": 1}", "temperature");
    cases.put("{}", "input");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Http.Reply r = http.post("/v1/moderations", c.getKey());
      assertEquals(400, r.status(), c.getKey());
      assertEquals(c.getValue(), r.param(), c.getKey() + " -> " + r.body());
      assertEquals("invalid_request_error", r.json().get("error").get("type").asText());
      assertFalse(r.body().contains("at dev.") || r.body().contains("Exception"), r.body());
    }
    Map<String, String> checks = new java.util.LinkedHashMap<>();
    checks.put("{\"messages\": \"hi\"}", "messages");
    checks.put("{\"messages\": []}", "messages");
    checks.put("{\"messages\": [{\"role\":\"robot\",\"content\":\"x\"}]}", "messages[0].role");
    checks.put("{\"messages\": [{\"role\":\"user\",\"content\":5}]}", "messages[0].content");
    checks.put("{\"messages\": [{\"role\":\"system\",\"content\":\"x\"}]}", "messages");
    checks.put("{\"messages\": [{\"role\":\"user\",\"content\":\"x\"}], \"policy\": \"default=explode\"}", "policy");
    checks.put("{\"messages\": [{\"role\":\"user\",\"content\":\"x\"}], \"policy\": \"S99=block\"}", "policy");
    checks.put("{\"messages\": [{\"role\":\"user\",\"content\":\"x\"}], \"taxonomy\": \"nope\"}", "taxonomy");
    checks.put("{\"messages\": [{\"role\":\"user\",\"content\":\"x\"}], \"taxonomy\": 1}", "taxonomy");
    for (Map.Entry<String, String> c : checks.entrySet()) {
      Http.Reply r = http.post("/v1/check", c.getKey());
      assertEquals(400, r.status(), c.getKey() + " -> " + r.body());
      assertEquals(c.getValue(), r.param(), c.getKey() + " -> " + r.body());
    }
    for (String malformed : List.of("{\"input\": ", "not json", "[1,2]", "{\"input\":\"a\"} trailing", "")) {
      Http.Reply r = http.post("/v1/moderations", malformed);
      assertEquals(400, r.status(), malformed);
      assertEquals("invalid_request_error", r.json().get("error").get("type").asText(), r.body());
      assertFalse(r.json().get("error").get("message").asText().isBlank(), r.body());
      assertFalse(r.body().contains("at dev.") || r.body().contains("at com.") || r.body().contains("Exception"),
          r.body());
    }
  }

  @Test
  void perTextCap_400NamesTheText() {
    Http.Reply r = http.post("/v1/moderations", Http.json(Map.of("input", List.of("fine", "x".repeat(501)))));
    assertEquals(400, r.status(), r.body());
    assertEquals("input[1]", r.param());
    assertEquals("text_too_long", r.json().get("error").get("code").asText());
  }

  @Test
  void tooManyInputs_400() {
    Http.Reply r = http.post("/v1/moderations", Http.json(Map.of("input", List.of("a", "b", "c", "d", "e"))));
    assertEquals(400, r.status(), r.body());
    assertEquals("input", r.param());
  }

  @Test
  void bodyCap_413WithJsonError() {
    Http.Reply r = http.post("/v1/moderations", "{\"input\":\"" + "y".repeat(5000) + "\"}");
    assertEquals(413, r.status(), r.body());
    assertEquals("request_too_large", r.json().get("error").get("code").asText());
  }

  @Test
  void bodyCap_chunkedBodyWithoutLength_413WhileReading() {
    // No Content-Length (chunked): the cap must hold while the body is read, not only by the declared length.
    byte[] big = ("{\"input\":\"" + "y".repeat(5000) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Http.Reply r = http.send(http.request("/v1/moderations").header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
        .build());
    assertEquals(413, r.status(), r.body());
    assertEquals("request_too_large", r.json().get("error").get("code").asText());
    byte[] small = "{\"input\":\"fine\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Http.Reply ok = http.send(http.request("/v1/moderations").header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(small)))
        .build());
    assertEquals(200, ok.status(), "a chunked body under the cap is served: " + ok.body());
  }

  @Test
  void unknownPathAndWrongMethod_404And405() {
    assertEquals(404, http.get("/v1/nothing").status());
    Http.Reply r = http.get("/v1/moderations");
    assertEquals(405, r.status());
    assertEquals("POST", r.header("Allow"));
    assertEquals(404, http.post("/v1/streams/strm_unknown/tokens", "{\"tokens\":[\"a\"]}").status());
  }

  @Test
  void health_readiness_and_metrics() {
    assertEquals("ok", http.get("/healthz").json().get("status").asText());
    Http.Reply ready = http.get("/readyz");
    assertEquals(200, ready.status());
    assertEquals("scripted@1", ready.json().get("model").asText());
    http.post("/v1/moderations", "{\"input\":\"pipe bomb\"}");
    http.post("/v1/moderations", "{\"input\": 1}");
    Http.Reply m = http.get("/metrics");
    assertEquals(200, m.status());
    assertTrue(m.header("Content-Type").startsWith("text/plain"), m.header("Content-Type"));
    String text = m.body();
    assertTrue(text.contains("parapet_checks_total{endpoint=\"moderations\"}"), text);
    assertTrue(text.matches("(?s).*parapet_decisions_total\\{category=\"S9\",decision=\"BLOCK\",endpoint=\"moderations\"} [1-9].*"), text);
    assertTrue(text.contains("parapet_check_duration_seconds_bucket{endpoint=\"moderations\""), text);
    assertTrue(text.contains("parapet_queue_depth "), text);
    assertTrue(text.contains("parapet_stream_sessions "), text);
    assertTrue(text.matches("(?s).*parapet_errors_total\\{type=\"invalid_value\"} [1-9].*"), text);
    assertTrue(text.contains("parapet_http_requests_total{route=\"moderations\",status=\"400\"}"), text);
  }
}
