package dev.parapet.guard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.Guard;
import dev.parapet.guard.testing.ManualTicker;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Streaming sessions: steps, stop, finish, delete, the bound, the idle timeout (manual ticker) and busy. */
class StreamsTest {
  private static final String OPTS = ",\"options\":{\"checkEveryTokens\":1}";

  private static Guard scripted() {
    return Guard.builder().classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.95).build()).noCache().build();
  }

  private static String open(Http http, String body) {
    Http.Reply r = http.post("/v1/streams", body);
    assertEquals(201, r.status(), r.body());
    return r.json().get("id").asText();
  }

  @Test
  void tokens_continueThenStop_finishEndsTheSession() {
    try (Guard guard = scripted(); ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      Http http = new Http(server.uri());
      String id = open(http, "{\"prompt\":\"tell me a story\"" + OPTS + "}");
      assertTrue(id.startsWith("strm_") && id.length() > 30, id);
      JsonNode a = http.post("/v1/streams/" + id + "/tokens", "{\"tokens\":[\"Once\",\" upon\"]}").json();
      assertEquals("CONTINUE", a.get("decision").asText());
      assertEquals("Once upon", a.get("released").asText());
      assertEquals(2, a.get("tokensSeen").asInt());
      JsonNode b = http.post("/v1/streams/" + id + "/tokens", "{\"tokens\":[\" a pipe\",\" bomb\",\" more\"]}").json();
      assertEquals("STOP", b.get("decision").asText());
      assertEquals(" a pipe", b.get("released").asText(), "text checked before the stop was released");
      assertTrue(b.get("withheldChars").asInt() > 0);
      assertEquals("BLOCK", b.get("verdict").get("decision").asText());
      assertEquals("STOP", http.post("/v1/streams/" + id + "/tokens", "{\"text\":\" again\"}").json()
          .get("decision").asText(), "after STOP every step repeats the Stop");
      JsonNode end = http.post("/v1/streams/" + id + "/finish", "").json();
      assertEquals("STOP", end.get("decision").asText());
      assertTrue(end.get("ended").asBoolean());
      assertEquals(404, http.post("/v1/streams/" + id + "/tokens", "{\"tokens\":[\"x\"]}").status());
    }
  }

  @Test
  void finish_completeReleasesTheRest_andDeleteRemoves() {
    try (Guard guard = scripted(); ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      Http http = new Http(server.uri());
      String id = open(http, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          + "\"options\":{\"checkEveryTokens\":100}}");
      JsonNode a = http.post("/v1/streams/" + id + "/tokens", "{\"tokens\":[\"Hello\",\" there\"]}").json();
      assertEquals("CONTINUE", a.get("decision").asText());
      assertEquals("", a.get("released").asText(), "nothing is released before a check covered it");
      JsonNode end = http.post("/v1/streams/" + id + "/finish", "").json();
      assertEquals("COMPLETE", end.get("decision").asText());
      assertEquals("Hello there", end.get("released").asText());
      assertEquals("ALLOW", end.get("verdict").get("decision").asText());

      String other = open(http, "{\"prompt\":\"hi\"}");
      assertEquals(204, http.delete("/v1/streams/" + other).status());
      assertEquals(404, http.delete("/v1/streams/" + other).status());
    }
  }

  @Test
  void badStreamRequests_400NamingTheField() {
    try (Guard guard = scripted(); ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      Http http = new Http(server.uri());
      assertEquals("options.checkEveryTokens", http.post("/v1/streams",
          "{\"prompt\":\"hi\",\"options\":{\"checkEveryTokens\":0}}").param());
      assertEquals("options.speed", http.post("/v1/streams", "{\"prompt\":\"hi\",\"options\":{\"speed\":1}}").param());
      assertEquals("prompt", http.post("/v1/streams", "{\"prompt\":3}").param());
      assertEquals("messages", http.post("/v1/streams",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}]}").param());
      String id = open(http, "{\"prompt\":\"hi\"}");
      assertEquals("tokens[1]", http.post("/v1/streams/" + id + "/tokens", "{\"tokens\":[\"a\",2]}").param());
      assertEquals("tokens", http.post("/v1/streams/" + id + "/tokens", "{}").param());
    }
  }

  @Test
  void bound_429WhenFull_idleSessionsTimeOutOnTheTicker() {
    ManualTicker ticker = new ManualTicker();
    try (Guard guard = scripted();
         ParapetServer server = ParapetServer.builder(guard).port(0).ticker(ticker).limits(ServerLimits.builder()
             .maxSessions(2).sessionIdleTimeout(Duration.ofMinutes(2)).build()).build().start()) {
      Http http = new Http(server.uri());
      String first = open(http, "{\"prompt\":\"one\"}");
      ticker.advance(Duration.ofMinutes(1));
      String second = open(http, "{\"prompt\":\"two\"}");
      Http.Reply full = http.post("/v1/streams", "{\"prompt\":\"three\"}");
      assertEquals(429, full.status(), full.body());
      assertEquals("too_many_sessions", full.json().get("error").get("code").asText());
      assertEquals("1", full.header("Retry-After"));

      ticker.advance(Duration.ofSeconds(61)); // first idle 2m01s: expired; second idle 1m01s: alive
      assertEquals(404, http.post("/v1/streams/" + first + "/tokens", "{\"tokens\":[\"x\"]}").status());
      assertEquals(200, http.post("/v1/streams/" + second + "/tokens", "{\"tokens\":[\"x\"]}").status());
      String third = open(http, "{\"prompt\":\"three\"}");
      assertFalse(third.equals(second));
      assertTrue(http.get("/metrics").body().contains("parapet_stream_sessions 2.0"));
    }
  }

  @Test
  void concurrentUseOfOneSession_409() throws Exception {
    LatchClassifier c = new LatchClassifier(1);
    try (Guard guard = Guard.builder().classifier(c).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      Http http = new Http(server.uri());
      String id = open(http, "{\"prompt\":\"hi\"" + OPTS + "}");
      CompletableFuture<Http.Reply> held = http.postAsync("/v1/streams/" + id + "/tokens", "{\"tokens\":[\"hold\"]}");
      assertTrue(c.entered.await(30, TimeUnit.SECONDS));
      Http.Reply busy = http.post("/v1/streams/" + id + "/tokens", "{\"tokens\":[\"x\"]}");
      assertEquals(409, busy.status(), busy.body());
      assertEquals(409, http.delete("/v1/streams/" + id).status());
      c.release.countDown();
      assertEquals("CONTINUE", held.get(30, TimeUnit.SECONDS).json().get("decision").asText());
      assertEquals(204, http.delete("/v1/streams/" + id).status());
    }
  }
}
