package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifyCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void classify_benignText_exit0AndTable() {
    CliRunner.Result r = CliRunner.fake().run("classify", "How do I bake bread?");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("DECISION"), r.out());
    assertTrue(r.out().contains("ALLOW"), r.out());
    assertTrue(r.out().contains("How do I bake bread?"), r.out());
    assertTrue(r.out().contains("model keyword-fake"), r.out());
  }

  @Test
  void classify_harmfulText_exit1WithTopCategory() {
    CliRunner.Result r = CliRunner.fake().run("classify", "how to build an explosive");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("BLOCK"), r.out());
    assertTrue(r.out().contains("S9 Indiscriminate Weapons 0.86  "), r.out()); // the 0.01s are not shown
    assertTrue(r.out().contains("0.950"), r.out());
  }

  @Test
  void classify_json_oneObjectPerInputWithVerdict() throws Exception {
    CliRunner.Result r = CliRunner.fake().runWithStdin("bread\n\npoison the well\n", "classify", "--json");
    assertEquals(1, r.exit(), r.toString());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out()); // the blank line is skipped
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals("bread", first.get("text").asText());
    assertEquals("ALLOW", first.get("verdict").get("decision").asText());
    JsonNode second = JSON.readTree(lines.get(1));
    assertEquals("BLOCK", second.get("verdict").get("decision").asText());
    assertEquals(0.9, second.get("verdict").get("scores").get("unsafe").asDouble(), 1e-9);
    assertEquals("S1", second.get("verdict").get("triggered").get(0).get("code").asText());
  }

  @Test
  void classify_responseOption_judgesTheResponse() throws Exception {
    CliRunner.Result r = CliRunner.fake().run("classify", "--json", "tell me a story", "--response",
        "First, steal the car.");
    assertEquals(1, r.exit(), r.toString());
    JsonNode v = JSON.readTree(r.out().lines().findFirst().orElseThrow()).get("verdict");
    assertEquals("RESPONSE", v.get("target").asText());
    assertEquals(0.7, v.get("scores").get("unsafe").asDouble(), 1e-9);
  }

  @Test
  void classify_fileOfJsonlConversations_readsMessagesAndEvalRecords() throws Exception {
    Path f = dir.resolve("in.jsonl");
    Files.writeString(f, String.join("\n",
        "{\"id\": \"a\", \"messages\": [{\"role\": \"system\", \"content\": \"be nice\"},"
            + " {\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"steal it\"}]}",
        "{\"prompt\": \"bake bread\", \"response\": null, \"label\": \"safe\"}", ""));
    CliRunner.Result r = CliRunner.fake().run("classify", "--jsonl", "--json", "--file", f.toString());
    assertEquals(1, r.exit(), r.toString());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size());
    assertEquals("a", JSON.readTree(lines.get(0)).get("id").asText());
    assertEquals("RESPONSE", JSON.readTree(lines.get(0)).get("verdict").get("target").asText());
    assertEquals("PROMPT", JSON.readTree(lines.get(1)).get("verdict").get("target").asText());
  }

  @Test
  void classify_malformedJsonlLine_exit2NamingTheLine() throws Exception {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"prompt\": \"ok\"}\n{\"prompt\": 5}\n");
    CliRunner.Result r = CliRunner.fake().run("classify", "--jsonl", "--file", f.toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("bad.jsonl:2:"), r.err());
    assertTrue(r.err().contains("\"prompt\""), r.err());
  }

  @Test
  void classify_usageErrors_exit2WithFix() {
    CliRunner runner = CliRunner.fake();
    CliRunner.Result r = runner.run("classify", "--no-such-option", "x");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("Unknown option"), r.err());

    r = runner.runWithStdin("", "classify");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("no input"), r.err());

    r = runner.run("classify", "--file", dir.resolve("missing.txt").toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("missing.txt") && r.err().contains("--file"), r.err());

    r = runner.run("classify", "--policy", "default=explode", "x");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("default"), r.err());

    r = runner.run("classify", "--taxonomy", "no-such-preset", "x");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("llama-guard-3"), r.err());

    r = runner.run("classify", "--device", "tpu", "x");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("cpu or cuda"), r.err());
  }

  @Test
  void classify_policyAndTaxonomyOptions_reachTheGuard() throws Exception {
    CliRunner runner = CliRunner.fake();
    // flag instead of block for S9: still exit 1 (flagged), decision FLAG
    CliRunner.Result r = runner.run("classify", "--json", "--policy", "default=block@0.5, S9=flag@0.5",
        "an explosive recipe");
    assertEquals(1, r.exit(), r.toString());
    assertEquals("FLAG", JSON.readTree(r.out().lines().findFirst().orElseThrow()).get("verdict").get("decision")
        .asText());
    // a threshold above the score allows it
    r = runner.run("classify", "--policy", "default=block@0.99", "an explosive recipe");
    assertEquals(0, r.exit(), r.toString());
    Path tax = dir.resolve("tax.json");
    Files.writeString(tax, "{\"name\": \"mine\", \"categories\": [{\"code\": \"X1\", \"name\": \"Competitors\","
        + " \"description\": \"talk about competitors\"}]}");
    r = runner.run("classify", "--taxonomy", tax.toString(), "hello");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("taxonomy mine"), r.out());
    assertEquals(tax.toString(), runner.seen.get(runner.seen.size() - 1).taxonomy().orElseThrow());
  }

  @Test
  void classify_controlCharsAndSpecialTokens_printedSafelyOnOneLine() {
    CliRunner.Result r = CliRunner.fake().run("classify", "hi\u0007 <|eot_id|>\nthere");
    assertEquals(0, r.exit(), r.toString());
    assertFalse(r.out().contains("\u0007"));
    assertTrue(r.out().contains("<|eot_id|>"), r.out());
  }

  @Test
  void classify_emptyAndHugeInputs_documentedNotesShown() {
    CliRunner.Result r = CliRunner.fake().run("classify", "");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("empty-input"), r.out());
    r = CliRunner.fake().run("classify", "poison ".repeat(30_000));
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("input-truncated"), r.out());
    // the table cell stays on one short line however long the input is
    assertTrue(r.out().lines().allMatch(l -> l.length() < 400), r.out().substring(0, 200));
  }

  @Test
  void help_listsCommandsAndExitCodes() {
    CliRunner.Result r = CliRunner.fake().run("--help");
    assertEquals(0, r.exit());
    for (String c : List.of("demo", "classify", "stream", "eval", "eval-stream", "model")) {
      assertTrue(r.out().contains(c), c);
    }
    assertTrue(r.out().contains("at least one input was flagged or blocked"), r.out());
    // every subcommand answers --help with its usage and exit 0, even with required options missing
    for (List<String> c : List.of(List.of("classify"), List.of("stream"), List.of("eval"), List.of("eval-stream"),
        List.of("model", "verify"), List.of("model", "init"), List.of("data"), List.of("demo"))) {
      List<String> args = new java.util.ArrayList<>(c);
      args.add("--help");
      CliRunner.Result h = CliRunner.fake().run(args.toArray(String[]::new));
      assertEquals(0, h.exit(), c + ": " + h);
      assertTrue(h.out().contains("Usage: parapet " + String.join(" ", c)), h.out());
      assertTrue(h.err().isEmpty(), c + ": " + h.err());
    }
  }
}
