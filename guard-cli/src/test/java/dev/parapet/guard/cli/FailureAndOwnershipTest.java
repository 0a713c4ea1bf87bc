package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Classifier failures and resource ownership, with guard-core's ScriptedClassifier. */
class FailureAndOwnershipTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private final List<ScriptedClassifier> made = new ArrayList<>();

  private CliRunner runner() {
    return new CliRunner(opts -> {
      ScriptedClassifier c = ScriptedClassifier.builder().rule("poison", "S1", 0.9).throwOn("explode")
          .incremental(true).build();
      made.add(c);
      return Engine.create(c, opts);
    });
  }

  @Test
  void classify_classifierThrows_failClosedVerdictWithNoteAndExit1() {
    CliRunner.Result r = runner().run("classify", "this will explode");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("BLOCK"), r.out());
    assertTrue(r.out().contains("classifier failed (CLASSIFIER_ERROR"), r.out());
    assertTrue(r.out().contains("fail-closed"), r.out());
    assertTrue(made.get(0).isClosed(), "the CLI must close the classifier it loaded");
  }

  @Test
  void eval_classifierThrows_itemListedAsUnscoredNotDropped() throws Exception {
    Path data = dir.resolve("d.jsonl");
    Files.writeString(data, String.join("\n",
        "{\"id\": \"a\", \"prompt\": \"poison the dog\", \"label\": \"unsafe\"}",
        "{\"id\": \"b\", \"prompt\": \"bake bread\", \"label\": \"safe\"}",
        "{\"id\": \"c\", \"prompt\": \"explode please\", \"label\": \"unsafe\"}", ""));
    CliRunner.Result r = runner().run("eval", "--data", data.toString(), "--out", dir.toString(), "--no-progress");
    assertEquals(0, r.exit(), r.toString());
    JsonNode m = JSON.readTree(dir.resolve("metrics.json").toFile());
    assertEquals(3, m.get("n").asInt());
    assertEquals(2, m.get("scored").asInt());
    assertEquals("c", m.get("unscored").get(0).get("id").asText());
    assertTrue(m.get("unscored").get(0).get("reason").asText().contains("CLASSIFIER_ERROR"), m.toString());
    assertEquals(1.0, m.get("auprc").asDouble(), 1e-9);
    assertEquals("scripted@1", m.get("model").get("id").asText());
    assertTrue(made.get(0).isClosed());
  }

  @Test
  void badPolicy_afterLoading_classifierStillClosed() {
    CliRunner.Result r = runner().run("classify", "--policy", "S99=block@0.5", "hello");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("S99"), r.err());
    assertEquals(1, made.size());
    assertTrue(made.get(0).isClosed(), "a classifier loaded before a configuration error must be closed");
  }

  @Test
  void evalStream_incrementalSessions_allClosed() throws Exception {
    Path data = dir.resolve("s.jsonl");
    Files.writeString(data, String.join("\n",
        "{\"id\": \"a\", \"prompt\": \"q\", \"response\": \"first mix it then poison the water supply now\", \"label\": \"unsafe\", \"harm_start\": 19}",
        "{\"id\": \"b\", \"prompt\": \"q\", \"response\": \"bread is made of flour and water\", \"label\": \"safe\"}", ""));
    CliRunner.Result r = runner().run("eval-stream", "--data", data.toString(), "--out", dir.toString(),
        "--check-every", "2", "--no-progress");
    assertEquals(0, r.exit(), r.toString());
    JsonNode m = JSON.readTree(dir.resolve("stream-metrics.json").toFile());
    assertEquals(1.0, m.get("streamed").get("f1").asDouble(), 1e-9, m.toString());
    assertEquals(1, m.get("harmDelay").get("stopped").asInt(), m.toString());
    ScriptedClassifier c = made.get(0);
    assertTrue(c.sessionsOpened() >= 2, "sessions opened: " + c.sessionsOpened());
    assertEquals(c.sessionsOpened(), c.sessionsClosed(), "every streaming session must be closed");
  }
}
