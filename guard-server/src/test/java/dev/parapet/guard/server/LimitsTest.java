package dev.parapet.guard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.Guard;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Overload, deadline, shutdown and auth, with a blocked deterministic classifier and latches (no sleeps). */
class LimitsTest {

  @Test
  void fullPool_429WithRetryAfter_thenTheHeldRequestCompletes() throws Exception {
    LatchClassifier c = new LatchClassifier(1);
    try (Guard guard = Guard.builder().classifier(c).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).limits(ServerLimits.builder().workers(1)
             .queueCapacity(0).retryAfter(Duration.ofSeconds(3)).build()).build().start()) {
      Http http = new Http(server.uri());
      CompletableFuture<Http.Reply> held = http.postAsync("/v1/moderations", "{\"input\":\"hold this\"}");
      assertTrue(c.entered.await(30, TimeUnit.SECONDS), "the held check never started");
      Http.Reply busy = http.post("/v1/moderations", "{\"input\":\"another\"}");
      assertEquals(429, busy.status(), busy.body());
      assertEquals("3", busy.header("Retry-After"));
      assertEquals("server_busy", busy.json().get("error").get("code").asText());
      assertEquals(200, http.get("/healthz").status(), "health stays up under overload");
      c.release.countDown();
      Http.Reply done = held.get(30, TimeUnit.SECONDS);
      assertEquals(200, done.status(), done.body());
      assertFalse(done.json().get("results").get(0).get("flagged").asBoolean());
      assertTrue(http.get("/metrics").body().contains("parapet_errors_total{type=\"server_busy\"} 1.0"));
    }
  }

  @Test
  void boundedQueue_holdsItsCapacity_thenTheNext429s_andTheQueuedRequestIsServed() throws Exception {
    LatchClassifier c = new LatchClassifier(1);
    try (Guard guard = Guard.builder().classifier(c).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).limits(ServerLimits.builder().workers(1)
             .queueCapacity(1).build()).build().start()) {
      Http http = new Http(server.uri());
      CompletableFuture<Http.Reply> held = http.postAsync("/v1/moderations", "{\"input\":\"hold this\"}");
      assertTrue(c.entered.await(30, TimeUnit.SECONDS), "the held check never started");
      CompletableFuture<Http.Reply> queued = http.postAsync("/v1/moderations", "{\"input\":\"queued\"}");
      awaitMetric(http, "parapet_queue_depth 1.0"); // the second request waits in the queue
      Http.Reply busy = http.post("/v1/moderations", "{\"input\":\"one too many\"}");
      assertEquals(429, busy.status(), busy.body());
      assertNotNull(busy.header("Retry-After"), "429 says when to retry");
      assertFalse(queued.isDone(), "the queued request waits for the worker");
      c.release.countDown();
      assertEquals(200, held.get(30, TimeUnit.SECONDS).status());
      Http.Reply q = queued.get(30, TimeUnit.SECONDS);
      assertEquals(200, q.status(), q.body());
      assertFalse(q.json().get("results").get(0).get("parapet").has("failure"), q.body());
    }
  }

  /** Polls /metrics until it contains {@code line} (bounded; the state is reached by the server, not by time). */
  private static void awaitMetric(Http http, String line) {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!http.get("/metrics").body().contains(line)) {
      if (System.nanoTime() > giveUp) {
        throw new AssertionError("/metrics never showed '" + line + "'");
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void deadline_guardFailureModeDecides_closedBlocksOpenAllows() {
    ScriptedClassifier slow = ScriptedClassifier.builder().sleepOn("slow", Duration.ofSeconds(60)).build();
    try (Guard guard = Guard.builder().classifier(slow).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0)
             .limits(ServerLimits.builder().deadline(Duration.ofMillis(300)).build()).build().start()) {
      Http http = new Http(server.uri());
      Http.Reply r = http.post("/v1/moderations", "{\"input\":\"a slow one\"}");
      assertEquals(200, r.status(), r.body());
      JsonNode res = r.json().get("results").get(0);
      assertTrue(res.get("flagged").asBoolean(), "fail-closed by default");
      assertEquals("BLOCK", res.get("parapet").get("decision").asText());
      assertEquals("TIMEOUT", res.get("parapet").get("failure").get("kind").asText());

      Http.Reply open = http.post("/v1/check", "{\"messages\":[{\"role\":\"user\",\"content\":\"slow\"}],"
          + "\"policy\":\"default=block@0.5, onError=open\"}");
      assertEquals(200, open.status(), open.body());
      assertEquals("ALLOW", open.json().get("decision").asText());
      assertEquals("OPEN", open.json().get("failure").get("appliedMode").asText());
      assertEquals(200, http.post("/v1/moderations", "{\"input\":\"quick\"}").status(), "the server stays up");
    }
  }

  @Test
  void close_finishesTheInFlightRequest() throws Exception {
    LatchClassifier c = new LatchClassifier(1);
    try (Guard guard = Guard.builder().classifier(c).noCache().build()) {
      ParapetServer server = ParapetServer.builder(guard).port(0).build().start();
      Http http = new Http(server.uri());
      CompletableFuture<Http.Reply> inFlight = http.postAsync("/v1/check",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"hold on\"}]}");
      assertTrue(c.entered.await(30, TimeUnit.SECONDS));
      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      // Wait until close has stopped accepting (so it is past the point where a non-graceful stop would drop the
      // held request), then give a close that does not wait a bounded chance to finish: it must not.
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (accepts(http)) {
        assertTrue(System.nanoTime() < giveUp, "close never stopped accepting connections");
        Thread.onSpinWait();
      }
      assertThrows(TimeoutException.class, () -> closing.get(1, TimeUnit.SECONDS),
          "close returned while a request was still running");
      assertFalse(inFlight.isDone(), "the in-flight request was answered (or dropped) before it finished");
      c.release.countDown();
      Http.Reply r = inFlight.get(30, TimeUnit.SECONDS);
      assertEquals(200, r.status(), r.body());
      assertEquals("ALLOW", r.json().get("decision").asText());
      closing.get(30, TimeUnit.SECONDS);
      server.close(); // idempotent
      assertThrows(AssertionError.class, () -> http.get("/healthz"), "a closed server accepts no connections");
    }
  }

  private static boolean accepts(Http http) {
    try {
      http.get("/healthz");
      return true;
    } catch (AssertionError refused) {
      return false;
    }
  }

  @Test
  void bearerToken_prefixLongerOtherSchemeOrBare_all401() {
    try (Guard guard = Guard.builder().classifier(ScriptedClassifier.safe()).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).token("s3cret-token").build().start()) {
      Http http = new Http(server.uri());
      for (String auth : new String[] {"Bearer s3cret-tok", "Bearer s3cret-token2", "Bearer ", "Basic s3cret-token",
          "s3cret-token", "Bearer S3CRET-TOKEN"}) {
        Http.Reply r = http.send(http.request("/v1/moderations").header("Authorization", auth)
            .header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"input\":\"hi\"}")).build());
        assertEquals(401, r.status(), auth);
        assertEquals("{\"error\":{\"message\":\"unauthorized\",\"type\":\"authentication_error\",\"param\":null,"
            + "\"code\":\"unauthorized\"}}", r.body().strip(), "the same 401 body whatever was wrong: " + auth);
      }
    }
  }

  @Test
  void bearerToken_401WithoutDetails_healthOpen() {
    try (Guard guard = Guard.builder().classifier(ScriptedClassifier.safe()).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).token("s3cret-token").build().start()) {
      Http anon = new Http(server.uri());
      Http wrong = new Http(server.uri()).token("s3cret-tokeX");
      Http right = new Http(server.uri()).token("s3cret-token");
      for (Http h : new Http[] {anon, wrong}) {
        Http.Reply r = h.post("/v1/moderations", "{\"input\":\"hi\"}");
        assertEquals(401, r.status());
        assertEquals("unauthorized", r.json().get("error").get("message").asText());
        assertEquals("Bearer", r.header("WWW-Authenticate"));
        assertNull(r.param());
        assertEquals(401, h.get("/metrics").status());
      }
      assertEquals(200, right.post("/v1/moderations", "{\"input\":\"hi\"}").status());
      assertEquals(200, right.get("/metrics").status());
      // RFC 7235: the auth scheme is case-insensitive; the token itself is not (see the 401 test above)
      for (String scheme : new String[] {"bearer", "BEARER", "Bearer"}) {
        Http.Reply r = anon.send(anon.request("/v1/moderations").header("Authorization", scheme + " s3cret-token")
            .header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"input\":\"hi\"}")).build());
        assertEquals(200, r.status(), scheme + ": " + r.body());
      }
      assertEquals(200, anon.get("/healthz").status());
      assertEquals(200, anon.get("/readyz").status());
    }
  }

  @Test
  void policyFromServerGuard_appliesToModerations() {
    try (Guard guard = Guard.builder().classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.7).build())
        .policy(PolicySpec.parse("default=block@0.9")).noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      Http.Reply r = new Http(server.uri()).post("/v1/moderations", "{\"input\":\"bomb\"}");
      JsonNode res = r.json().get("results").get(0);
      assertFalse(res.get("flagged").asBoolean());
      assertEquals(0.7, res.get("category_scores").get("illicit/violent").asDouble(), 1e-9);
    }
  }
}
