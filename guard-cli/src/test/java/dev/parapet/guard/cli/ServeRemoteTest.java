package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.Guard;
import dev.parapet.guard.onnx.decoder.CategoryMode;
import dev.parapet.guard.onnx.decoder.Fixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.RemoteGuardClassifier;
import dev.parapet.guard.remote.testing.FakeVllmServer;
import dev.parapet.guard.server.ParapetServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parapet serve --remote}: the server over a {@link RemoteGuardClassifier} talking to the fake vLLM server
 * on 127.0.0.1. End to end as a real {@code serve} process; and the fault cycle in-process (backend resets
 * connections, then is stopped, then restarted on the same port), asserting on outcomes and request counts.
 */
class ServeRemoteTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  @TempDir Path dir;


  private static HttpResponse<String> get(URI base, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode moderate(URI base, String text) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/moderations"))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("input", text).toString())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body()).get("results").get(0);
  }

  @Test
  void serveProcess_remote_answersModerationsWithTheRemoteVerdict() throws Exception {
    Path folder = Fixtures.model(dir.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
    try (FakeVllmServer fake = FakeVllmServer.start().respondWith(FakeVllmServer.everyTokenOf(1200))) {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.parapet.guard.cli.Main",
          "serve", "--port", "0", "--remote", fake.baseUrl(), "--remote-model", "llama-guard", "--model",
          folder.toString()).redirectError(dir.resolve("stderr.txt").toFile()).start();
      try {
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (line == null) {
          p.waitFor(30, TimeUnit.SECONDS);
        }
        assertNotNull(line, "serve --remote printed no URL: " + Files.readString(dir.resolve("stderr.txt")));
        Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(line);
        assertTrue(m.find(), line);
        URI base = URI.create(m.group(1));
        JsonNode r = moderate(base, "How do I bake bread?");
        JsonNode parapet = r.get("parapet");
        assertTrue(parapet.get("model").asText().startsWith("llama-guard-3@remote:llama-guard"), r.toString());
        assertFalse(parapet.has("failure"), r.toString());
        double unsafe = parapet.get("unsafe").asDouble();
        assertTrue(unsafe > 0 && unsafe < 1, r.toString());
        assertTrue(fake.requests().size() >= 1, "the verdict came from the fake");
        assertTrue(fake.requests().get(0).promptIds().length > 10, "token ids on the wire");
        p.destroy();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void backendFaults_failClosedWithTheReason_breakerStopsTraffic_recoversOnRestart() throws Exception {
    Path folder = Fixtures.model(dir.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
    FakeVllmServer fake = FakeVllmServer.start().respondWith(FakeVllmServer.everyTokenOf(1200));
    int port = fake.port();
    RemoteGuardClassifier remote = RemoteGuardClassifier.builder().baseUrl(fake.baseUrl()).model("m")
        .tokenizerDir(folder).categoryMode(CategoryMode.NONE).maxRetries(0)
        .circuitBreaker(4, Duration.ofSeconds(1)).build();
    try (Guard guard = Guard.builder().classifier(remote).noCache().build();
        ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      URI base = server.uri();
      assertFalse(moderate(base, "hello 0").get("parapet").has("failure"));

      // The backend resets every connection: fail closed (BLOCK, flagged) and say why.
      fake.respondWith(q -> FakeVllmServer.Reply.reset());
      for (int i = 1; i <= 3; i++) {
        JsonNode r = moderate(base, "hello " + i);
        assertTrue(r.get("flagged").asBoolean(), r.toString());
        assertEquals("BLOCK", r.get("parapet").get("decision").asText(), r.toString());
        JsonNode f = r.get("parapet").get("failure");
        assertNotNull(f, r.toString());
        assertEquals("CLOSED", f.get("appliedMode").asText(), r.toString());
        assertFalse(f.get("message").asText().isBlank(), r.toString());
        assertFalse(f.get("message").asText().contains("circuit breaker open"), r.toString());
      }
      // the fake records a reset request on its own thread, maybe after the client saw the reset
      assertTrue(fake.awaitRequests(4, Duration.ofSeconds(30)), "each failed check reached the backend");
      assertEquals(4, fake.requests().size(), "one success + three resets, no retries (maxRetries 0)");

      // Three of the last four reads failed (window 4, threshold 50%): the breaker is open; requests fail closed
      // fast, without reaching the backend, and say so.
      for (int i = 4; i <= 10; i++) {
        JsonNode r = moderate(base, "hello " + i);
        assertEquals("BLOCK", r.get("parapet").get("decision").asText(), r.toString());
        assertTrue(r.get("parapet").get("failure").get("message").asText().contains("circuit breaker open"),
            r.toString());
      }
      assertEquals(4, fake.requests().size(), "an open breaker sends nothing");
      assertEquals(200, get(base, "/healthz").statusCode(), "the server stays up");
      assertEquals(200, get(base, "/readyz").statusCode(), "/readyz: the server is started (not the backend)");

      // The backend dies, then comes back on the same port: the server recovers without a restart.
      fake.close();
      fake = FakeVllmServer.start(port).respondWith(FakeVllmServer.everyTokenOf(1200));
      JsonNode last = null;
      for (int attempt = 0; attempt < 300; attempt++) { // bounded: the breaker lets a probe through after 1 s
        last = moderate(base, "recovered " + attempt);
        if (!last.get("parapet").has("failure")) {
          break;
        }
        Thread.sleep(50);
      }
      assertFalse(last.get("parapet").has("failure"), "recovered after the backend returned: " + last);
      assertTrue(fake.requests().size() >= 1, "the restarted backend answered");
      assertEquals(200, get(base, "/healthz").statusCode());
    } finally {
      fake.close();
    }
  }
}
