package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.policy.Action;
import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerdictJsonTest {
  @Test
  void toJson_blockedVerdict_hasEveryField() throws Exception {
    Verdict v = Verdict.builder().decision(Decision.BLOCK).target(Target.RESPONSE)
        .triggered(List.of(new Triggered("S9", "Indiscriminate Weapons", 0.9, 0.5, Action.BLOCK)))
        .scores(Scores.builder().unsafe(0.9).category("S9", 0.9)
            .truncation(new Truncation(900, 512, Truncation.Unit.TOKENS, Truncation.Strategy.HEAD_TAIL)).build())
        .classifierId("scripted@1").taxonomyHash("abcd").latency(Duration.ofMillis(3)).cached(true)
        .notes(List.of(Note.parse("input-truncated: 10 of 20 chars kept (head+tail)"))).build();
    JsonNode n = new ObjectMapper().readTree(v.toJson());
    assertEquals("BLOCK", n.get("decision").asText());
    assertEquals("RESPONSE", n.get("target").asText());
    assertEquals("S9", n.get("triggered").get(0).get("code").asText());
    assertEquals("BLOCK", n.get("triggered").get(0).get("action").asText());
    assertEquals(0.9, n.get("scores").get("unsafe").asDouble(), 1e-12);
    assertEquals(0.9, n.get("scores").get("categories").get("S9").asDouble(), 1e-12);
    assertEquals(512, n.get("scores").get("truncation").get("keptLength").asLong());
    assertEquals("scripted@1", n.get("classifierId").asText());
    assertEquals(3.0, n.get("latencyMillis").asDouble(), 1e-9);
    assertTrue(n.get("cached").asBoolean());
    assertFalse(n.has("failure"));
    assertEquals(1, n.get("notes").size());
  }

  @Test
  void toJson_failureVerdict_recordsKindAndMode() throws Exception {
    Verdict v = Verdict.builder().decision(Decision.BLOCK)
        .failure(new Failure(Failure.Kind.TIMEOUT, "too slow", FailureMode.CLOSED)).build();
    JsonNode n = new ObjectMapper().readTree(v.toJson());
    assertEquals("TIMEOUT", n.get("failure").get("kind").asText());
    assertEquals("CLOSED", n.get("failure").get("appliedMode").asText());
    assertFalse(n.has("scores"));
    assertTrue(Double.isNaN(v.unsafeScore()));
    assertTrue(v.toString().contains("failure=TIMEOUT"), v.toString());
  }

  @Test
  void toBuilder_copiesEveryField() {
    Verdict v = Verdict.builder().decision(Decision.FLAG).scores(Scores.of(0.4)).cached(true)
        .triggered(List.of(new Triggered("unsafe", "Unsafe (overall score)", 0.4, 0.3, Action.FLAG)))
        .notes(List.of(Note.parse("n"))).build();
    assertEquals(v.toJson(), v.toBuilder().build().toJson());
  }
}
