package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  static String resource(String name) {
    try {
      return Path.of(EvalCommandTest.class.getResource("/eval/" + name).toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void eval_smallFixture_writesMetricsAndReport() throws Exception {
    CliRunner.Result r = CliRunner.fake().run("eval", "--data", resource("small.jsonl"), "--out",
        dir.toString(), "--threads", "2", "--no-progress");
    assertEquals(0, r.exit(), r.toString());
    JsonNode m = JSON.readTree(dir.resolve("metrics.json").toFile());
    assertEquals(11, m.get("n").asInt());
    // hand-computed in EvalSummaryTest: the same fake through a real Guard with default=block@0.5
    assertEquals(0.4 + 0.2 + 0.16 + 0.2 * 5 / 7, m.get("auprc").asDouble(), 1e-9);
    assertEquals(27.5 / 30, m.get("rocAuc").asDouble(), 1e-9);
    assertEquals(8.0 / 11, m.get("atPolicy").get("f1").asDouble(), 1e-9);
    assertEquals("keyword-fake", m.get("model").get("id").asText());
    assertEquals("llama-guard-3", m.get("taxonomy").get("name").asText());
    assertTrue(m.get("latencyMs").get("p99").isNumber());
    String html = Files.readString(dir.resolve("report.html"));
    assertTrue(html.contains("<svg id=\"pr-curve\""));
    assertTrue(r.out().contains("AUPRC=0.9029"), r.out());
  }

  @Test
  void eval_malformedLines_skippedWithCountOnStderrAndInMetrics() throws Exception {
    CliRunner.Result r = CliRunner.fake().run("eval", "--data", resource("malformed.jsonl"), "--out",
        dir.toString(), "--no-progress");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.err().contains("line 2: not valid JSON"), r.err());
    assertTrue(r.err().contains("skipped 6 malformed line(s)"), r.err());
    JsonNode m = JSON.readTree(dir.resolve("metrics.json").toFile());
    assertEquals(2, m.get("n").asInt());
    assertEquals(6, m.get("malformedCount").asInt());
    assertEquals(8, m.get("malformed").get(5).get("line").asInt());
  }

  @Test
  void eval_strict_failsWithLineNumberAndWritesNothing() {
    CliRunner.Result r = CliRunner.fake().run("eval", "--data", resource("malformed.jsonl"), "--out",
        dir.resolve("o").toString(), "--strict");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("malformed.jsonl:2:"), r.err());
    assertFalse(Files.exists(dir.resolve("o").resolve("metrics.json")));
  }

  @Test
  void eval_limit_andMissingData() throws Exception {
    CliRunner runner = CliRunner.fake();
    CliRunner.Result r = runner.run("eval", "--data", resource("small.jsonl"), "--out", dir.toString(), "--limit",
        "4", "--no-progress");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(4, JSON.readTree(dir.resolve("metrics.json").toFile()).get("n").asInt());
    r = runner.run("eval", "--data", dir.resolve("nope.jsonl").toString(), "--out", dir.toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("nope.jsonl") && r.err().contains("--data"), r.err());
    r = runner.run("eval", "--out", dir.toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("--data"), r.err());
  }

  @Test
  void evalStream_smallFixture_writesStreamingMetrics() throws Exception {
    CliRunner.Result r = CliRunner.fake().run("eval-stream", "--data", resource("small.jsonl"), "--out",
        dir.toString(), "--check-every", "1", "--no-progress");
    assertEquals(0, r.exit(), r.toString());
    JsonNode m = JSON.readTree(dir.resolve("stream-metrics.json").toFile());
    assertEquals(5, m.get("n").asInt());
    assertEquals(6, m.get("skippedPromptOnly").asInt());
    assertEquals(2, m.get("exposure").get("stopped").asInt(), m.toString());
    assertEquals(1.0, m.get("streamed").get("recall").asDouble(), 1e-9);
    assertEquals(1.0, m.get("fullText").get("f1").asDouble(), 1e-9);
    // checking every token, the stop comes at the keyword: h3 stops at word 4 of 13, h4 at word 9
    assertTrue(m.get("exposure").get("medianFraction").asDouble() < 0.6, m.toString());
    assertEquals(2, m.get("harmDelay").get("stopped").asInt());
    assertTrue(m.get("streamOptions").asText().contains("checkEveryTokens=1"));
    // a check at every piece, and finish() reuses the last passing check that covered the whole response
    assertEquals(100.0, m.get("checks").get("per100Pieces").asDouble(), 1e-9, m.toString());
  }

  @Test
  void evalStream_sentenceChecksFlag_andContradiction() throws Exception {
    CliRunner.Result on = CliRunner.fake().run("eval-stream", "--data", resource("small.jsonl"), "--out",
        dir.toString(), "--sentence-checks", "--no-progress");
    assertEquals(0, on.exit(), on.toString());
    JsonNode m = JSON.readTree(dir.resolve("stream-metrics.json").toFile());
    assertTrue(m.get("streamOptions").asText().contains("checkAtSentenceEnd=true"), m.toString());
    assertTrue(m.get("streamOptions").asText().contains("checkEveryTokens=32"), m.toString());
    CliRunner.Result both = CliRunner.fake().run("eval-stream", "--data", resource("small.jsonl"), "--out",
        dir.toString(), "--sentence-checks", "--no-sentence-checks", "--no-progress");
    assertEquals(2, both.exit(), both.toString());
    assertTrue(both.err().contains("contradict"), both.err());
  }

  @Test
  void evalStream_tokensPerStepBelowOne_isAUsageErrorNamingTheFlag() {
    CliRunner.Result r = CliRunner.fake().run("eval-stream", "--data", resource("small.jsonl"), "--out",
        dir.toString(), "--tokens-per-step", "0", "--no-progress");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("--tokens-per-step must be >= 1, was 0"), r.err());
  }
}
