package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamAndDemoCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HARMFUL = "Chemistry is fun. Mix these to make an explosive at home: first get the powder.";

  @Test
  void stream_harmfulResponse_stopsAndNeverShowsTheRest() {
    CliRunner.Result r = CliRunner.fake().run("stream", "--prompt", "Tell me about chemistry", "--check-every", "1",
        HARMFUL);
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("STOPPED at step 9 of 15"), r.out());
    assertTrue(r.out().contains("withheld and never shown"), r.out());
    assertFalse(r.out().contains("first get the powder"), "text after the stop must not be printed as released");
  }

  @Test
  void stream_benignResponseFromStdin_completes() {
    CliRunner.Result r = CliRunner.fake().runWithStdin("Bread needs flour, water and salt. Knead it well.\n", "stream",
        "--prompt", "How do I bake bread?");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("COMPLETED after 9 steps"), r.out());
  }

  @Test
  void stream_json_stepsThenSummary() throws Exception {
    CliRunner.Result r = CliRunner.fake().run("stream", "--json", "--prompt", "p", "--check-every", "1",
        "--tokens-per-step", "3", HARMFUL);
    assertEquals(1, r.exit(), r.toString());
    List<String> lines = r.out().lines().toList();
    JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
    assertTrue(last.get("summary").asBoolean());
    assertTrue(last.get("stopped").asBoolean());
    assertEquals(3, last.get("stopStep").asInt()); // pieces of 3 words: "explosive" (word 9) is in piece 3
    assertEquals(5, last.get("steps").asInt());
    assertEquals("STOP", JSON.readTree(lines.get(lines.size() - 2)).get("decision").asText());
    assertTrue(HARMFUL.startsWith(last.get("released").asText()));
  }

  @Test
  void demo_withFake_runsAllThreeParts() {
    CliRunner runner = CliRunner.fake();
    CliRunner.Result r = runner.run("demo");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("1. Prompts"), r.out());
    assertTrue(r.out().contains("2. Responses"), r.out());
    assertTrue(r.out().contains("3. Streaming"), r.out());
    assertTrue(r.out().contains("STOPPED at step"), r.out());
    // the fake stops at "bomb" (token 24, a check runs every 4 tokens); harm starts at " how" (token 19)
    assertTrue(r.out().contains("The harmful part starts at token 19 of 69"), r.out());
    assertTrue(r.out().contains("The stream stopped at token 24, 5 tokens after it"), r.out());
    assertEquals(EngineOptions.Model.EMBEDDED, runner.seen.get(0).model());
    // every demo prompt is in the table
    for (String p : DemoCommand.PROMPTS) {
      assertTrue(r.out().contains(p.substring(0, 30)), p);
    }
  }

  @Test
  void stream_tokensPerStepBelowOne_isAUsageErrorNamingTheFlag() {
    CliRunner.Result r = CliRunner.fake().run("stream", "--prompt", "p", "--tokens-per-step", "0", HARMFUL);
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("--tokens-per-step must be >= 1, was 0"), r.err());
  }
}
