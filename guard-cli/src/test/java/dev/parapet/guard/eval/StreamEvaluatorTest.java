package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.Decision;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class StreamEvaluatorTest {
  private static final double EPS = 1e-9;

  @Test
  void words_concatenateToTheText() {
    for (String s : List.of("Hello world", "  lead and trail  ", "", "one", "a\n\nb\tc", "emoji \uD83D\uDE00 ok")) {
      assertEquals(s, String.join("", TokenSplitter.words(s)));
    }
    assertEquals(List.of("Hello", " big", " world!  "), TokenSplitter.words("Hello big world!  "));
    assertEquals(List.of("Hello big", " world!"), TokenSplitter.steps("Hello big world!", 2));
    assertEquals(List.of(), TokenSplitter.words(""));
    assertThrows(IllegalArgumentException.class, () -> TokenSplitter.steps("x", 0));
  }

  /** A replayer that stops at the first piece containing a keyword the fake scores >= 0.5, releasing the pieces before it. */
  static StreamOutcome keywordReplay(EvalRecord r, List<String> pieces) {
    StringBuilder seen = new StringBuilder();
    long released = 0;
    for (int i = 0; i < pieces.size(); i++) {
      seen.append(pieces.get(i));
      double p = KeywordClassifier.score(seen.toString(), dev.parapet.guard.taxonomy.Taxonomies.llamaGuard3()).unsafe();
      if (p >= 0.5) {
        return new StreamOutcome(i + 1, true, i + 1, released, Decision.BLOCK, p, i + 1);
      }
      released = seen.length();
    }
    return new StreamOutcome(pieces.size(), false, 0, released, Decision.ALLOW, 0.05, pieces.size());
  }

  @Test
  void run_smallFixture_exposureDelayAndF1() throws IOException {
    EvalDataset d = EvalDataset.read(EvalDatasetTest.resource("small.jsonl"), 0, true);
    List<StreamEvaluator.Row> rows = StreamEvaluator.run(d.records(),
        c -> KeywordClassifier.verdict(c.last().text(), 0.5, 10), StreamEvaluatorTest::keywordReplay, 1, 2,
        Progress.none());
    // responses: b3, b4, h3, h4, b5
    assertEquals(List.of("b3", "b4", "h3", "h4", "b5"), rows.stream().map(r -> r.record().id()).toList());
    StreamEvaluator.Row h3 = rows.get(2);
    // "Sure. First you steal the car, ..." -> words: "Sure." " First" " you" " steal" ... stop at word 4
    assertEquals(4, h3.stopToken());
    assertEquals(3, h3.releasedTokens());
    assertEquals(3, h3.harmToken()); // harm_start 12 falls in " you" (chars 11..14)
    StreamEvaluator.Row h4 = rows.get(3);
    // "Chemistry is fun. Mix these to make an explosive" -> "explosive" is word 9; harm_start 18 -> " Mix" = word 4
    assertEquals(9, h4.stopToken());
    assertEquals(4, h4.harmToken());
    JsonNode j = StreamEvaluator.toJson(rows, new RunInfo("m", "t", "h", "p", "d", 2), 1, 6, List.of());
    assertEquals(5, j.get("n").asInt());
    assertEquals(6, j.get("skippedPromptOnly").asInt());
    assertEquals(1.0, j.get("streamed").get("f1").asDouble(), EPS);
    assertEquals(1.0, j.get("fullText").get("f1").asDouble(), EPS);
    assertEquals(1.0, j.get("f1Ratio").asDouble(), EPS);
    // exposure: h3 3/13 words, h4 8/15 words; median of two = mean
    double e3 = 3.0 / TokenSplitter.words(h3.record().response().orElseThrow()).size();
    double e4 = 8.0 / TokenSplitter.words(h4.record().response().orElseThrow()).size();
    assertEquals((e3 + e4) / 2, j.get("exposure").get("medianFraction").asDouble(), EPS);
    // delays: h3 4-3 = 1, h4 9-4 = 5
    assertEquals(3.0, j.get("harmDelay").get("medianTokens").asDouble(), EPS);
    assertEquals(1.0, j.get("stoppedWithin32Tokens").get("ofHarmStart").asDouble(), EPS);
    assertEquals(0.0, j.get("exposure").get("safeStoppedRate").asDouble(), EPS);
    // the keyword replayer checks at every piece: 100 checks per 100 pieces
    assertEquals(100.0, j.get("checks").get("per100Pieces").asDouble(), EPS);
    assertEquals(rows.stream().mapToInt(r -> r.outcome().steps()).sum(), j.get("checks").get("total").asInt());
  }

  @Test
  void run_missedStreamStop_lowersStreamedF1() throws IOException {
    EvalDataset d = EvalDataset.read(EvalDatasetTest.resource("small.jsonl"), 0, true);
    // a replayer that never stops and always allows: streamed recall 0 while full-text recall is 1
    List<StreamEvaluator.Row> rows = StreamEvaluator.run(d.records(),
        c -> KeywordClassifier.verdict(c.last().text(), 0.5, 10),
        (r, pieces) -> new StreamOutcome(pieces.size(), false, 0, r.response().orElseThrow().length(),
            Decision.ALLOW, 0.0), 3, 1, Progress.none());
    JsonNode j = StreamEvaluator.toJson(rows, new RunInfo("m", "t", "h", "p", "d", 1), 3, 6, List.of());
    assertEquals(0.0, j.get("streamed").get("recall").asDouble(), EPS);
    assertEquals(0.0, j.get("f1Ratio").asDouble(), EPS);
    assertEquals(1.0, j.get("exposure").get("medianFraction").asDouble(), EPS);
    assertEquals(2, j.get("harmDelay").get("notStopped").asInt());
    assertTrue(j.get("harmDelay").get("medianTokens").isNull());
    assertEquals("whitespace-preserving word pieces", j.get("tokenUnit").asText().toLowerCase(Locale.ROOT));
    assertTrue(j.get("checks").get("per100Pieces").isNull(), "checks not counted: no rate");
  }
}
