package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.onnx.decoder.Fixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.testing.FakeVllmServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --remote URL}: classify and stream through the real factory against the fake vLLM server on 127.0.0.1. */
class RemoteCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  FakeVllmServer fake;
  Path folder;

  @BeforeEach
  void start() {
    fake = FakeVllmServer.start().respondWith(FakeVllmServer.everyTokenOf(1200));
    folder = Fixtures.model(dir.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  CliRunner.Result run(String... args) {
    return new CliRunner(Engine.models()).run(args);
  }

  @Test
  void classify_remote_sendsTokenIdsWithTheKey_andPrintsTheRemoteVerdict() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "sekret\n");
    CliRunner.Result r = run("classify", "--json", "--remote", fake.baseUrl(), "--remote-model", "llama-guard",
        "--remote-token-file", token.toString(), "--model", folder.toString(), "How do I bake bread?");
    assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
    JsonNode v = JSON.readTree(r.out().lines().findFirst().orElseThrow()).get("verdict");
    assertTrue(v.get("classifierId").asText().startsWith("llama-guard-3@remote:llama-guard"), v.toString());
    double p = v.get("scores").get("unsafe").asDouble();
    assertTrue(p > 0 && p < 1, v.toString());
    assertEquals(2, fake.requests().size(), "safe/unsafe read + category read");
    for (FakeVllmServer.Request q : fake.requests()) {
      assertEquals("Bearer sekret", q.header("Authorization"));
      assertEquals("llama-guard", q.json().path("model").asText());
      assertTrue(q.promptIds().length > 10);
    }
  }

  @Test
  void classify_remoteDown_failsClosedWithTheReason() throws Exception {
    fake.respondWith(q -> FakeVllmServer.Reply.error(500, "engine dead"));
    CliRunner.Result r = run("classify", "--json", "--remote", fake.baseUrl(), "--remote-model", "m", "--model",
        folder.toString(), "hello");
    JsonNode v = JSON.readTree(r.out().lines().findFirst().orElseThrow()).get("verdict");
    assertEquals("BLOCK", v.get("decision").asText(), v.toString());
    assertTrue(v.toString().contains("engine dead"), v.toString());
  }

  @Test
  void stream_remote_replaysAndReleasesAPrefixOfTheResponse() throws Exception {
    String response = "Mix flour, water, salt and yeast. Knead it and bake it.";
    CliRunner.Result r = run("stream", "--json", "--remote", fake.baseUrl(), "--remote-model", "m", "--model",
        folder.toString(), "--check-every", "4", "--prompt", "How do I bake bread?", response);
    assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
    List<String> lines = r.out().lines().toList();
    JsonNode summary = JSON.readTree(lines.get(lines.size() - 1));
    assertTrue(summary.get("summary").asBoolean(), r.out());
    assertTrue(response.startsWith(summary.get("released").asText()), r.out());
    assertTrue(fake.requests().size() >= 2, "checks went to the server");
  }

  @Test
  void remoteFlags_missingOrInconsistent_exitWithTheFix() throws Exception {
    CliRunner.Result noName = run("classify", "--remote", fake.baseUrl(), "--model", folder.toString(), "hi");
    assertEquals(2, noName.exit(), noName.toString());
    assertTrue(noName.err().contains("--remote-model"), noName.err());
    CliRunner.Result noDir = run("classify", "--remote", fake.baseUrl(), "--remote-model", "m", "hi");
    assertEquals(2, noDir.exit(), noDir.toString());
    assertTrue(noDir.err().contains("--model DIR") && noDir.err().contains("tokenizer.json"), noDir.err());
    CliRunner.Result orphan = run("classify", "--remote-model", "m", "hi");
    assertEquals(2, orphan.exit(), orphan.toString());
    assertTrue(orphan.err().contains("need --remote URL"), orphan.err());
    Path empty = Files.writeString(dir.resolve("empty-token"), "  \n");
    CliRunner.Result blank = run("classify", "--remote", fake.baseUrl(), "--remote-model", "m",
        "--remote-token-file", empty.toString(), "--model", folder.toString(), "hi");
    assertEquals(2, blank.exit(), blank.toString());
    assertTrue(blank.err().contains("is empty"), blank.err());
    assertEquals(0, fake.requests().size(), "nothing was sent for bad flags");
  }

  @Test
  void remoteBreakerOpen_parsesDurations_andRejectsBadOnesWithTheForm() {
    assertEquals(Duration.ofSeconds(2), ModelOptions.breakerOpen("2s"));
    assertEquals(Duration.ofMillis(500), ModelOptions.breakerOpen(" 500MS "));
    assertEquals(Duration.ofMinutes(1), ModelOptions.breakerOpen("1m"));
    for (String bad : new String[] {"0s", "2", "-1s", "2h", "1.5s"}) {
      CliRunner.Result r = run("classify", "--remote", fake.baseUrl(), "--remote-model", "m", "--model",
          folder.toString(), "--remote-breaker-open", bad, "hi");
      assertEquals(2, r.exit(), bad + ": " + r);
      assertTrue(r.err().contains("--remote-breaker-open must be a positive duration like 2s"), r.err());
    }
    CliRunner.Result orphan = run("classify", "--remote-breaker-open", "2s", "hi");
    assertEquals(2, orphan.exit(), orphan.toString());
    assertTrue(orphan.err().contains("need --remote URL"), orphan.err());
    assertEquals(0, fake.requests().size(), "nothing was sent for bad flags");
  }
}
