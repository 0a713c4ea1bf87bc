package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Failure;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.FailureMode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalSummaryTest {
  private static final double EPS = 1e-9;

  /** small.jsonl scored by {@link KeywordClassifier} at block@0.5; latencies 1..11 ms in file order. */
  static EvalSummary smallSummary() throws IOException {
    EvalDataset d = EvalDataset.read(EvalDatasetTest.resource("small.jsonl"), 0, true);
    List<Prediction> preds = new ArrayList<>();
    long micros = 1000;
    for (EvalRecord r : d.records()) {
      preds.add(Prediction.of(r, KeywordClassifier.verdict(r.judgedText(), 0.5, micros)));
      micros += 1000;
    }
    return EvalSummary.of(new RunInfo("keyword-fake", "llama-guard-3", "abc123", "default=block@0.5",
        "small.jsonl", 1), preds, d.malformed());
  }

  @Test
  void summary_smallFixture_matchesHandComputedMetrics() throws IOException {
    EvalSummary s = smallSummary();
    // scores: h1 .95 h4 .95 h2 .9 h3 .7 | b6 .7 b2 .6 | h5 .3 | b1 b3 b4 b5 .05   (5 unsafe, 6 safe)
    // AP = .4*1 + .2*1 + .2*(4/5) + .2*(5/7)
    assertEquals(0.4 + 0.2 + 0.16 + 0.2 * 5 / 7, s.auprc(), EPS);
    // AUC: .95,.95,.9 beat all 6 (18); .7 ties b6 and beats 5 (5.5); .3 beats four .05 (4) -> 27.5/30
    assertEquals(27.5 / 30, s.rocAuc(), EPS);
    assertEquals(new Metrics.Confusion(4, 2, 4, 1), s.atPolicy());
    JsonNode j = s.toJson();
    assertEquals(11, j.get("n").asInt());
    assertEquals(4.0 / 6, j.get("atPolicy").get("precision").asDouble(), EPS);
    assertEquals(0.8, j.get("atPolicy").get("recall").asDouble(), EPS);
    assertEquals(8.0 / 11, j.get("atPolicy").get("f1").asDouble(), EPS);
    assertEquals(2.0 / 6, j.get("atPolicy").get("fpr").asDouble(), EPS);
    // latency 1..11 ms: p50 = 6, p95 = 1 + 0.95*10 = 10.5
    assertEquals(6.0, j.get("latencyMs").get("p50").asDouble(), EPS);
    assertEquals(10.5, j.get("latencyMs").get("p95").asDouble(), EPS);
    assertEquals(10.9, j.get("latencyMs").get("p99").asDouble(), EPS);
    assertEquals("keyword-fake", j.get("model").get("id").asText());
    assertEquals("llama-guard-3", j.get("taxonomy").get("name").asText());
  }

  @Test
  void summary_perSourceAndPerCategory() throws IOException {
    JsonNode j = smallSummary().toJson();
    JsonNode benign = j.get("bySource").get("benign");
    assertEquals(5, benign.get("negatives").asInt());
    assertEquals(0.4, benign.get("fpr").asDouble(), EPS); // b2 and b6 of 5
    assertTrue(benign.get("recall").isNull()); // no positives: undefined, written as null
    assertEquals(2.0 / 3, j.get("bySource").get("harmbench").get("recall").asDouble(), EPS);
    // S9: h1, h4 at 0.855 above everything else -> 1; S2: h3 ties the safe b6 at 0.63 -> P 1/2 at R 1
    assertEquals(1.0, j.get("byCategory").get("S9").get("auprc").asDouble(), EPS);
    assertEquals(0.5, j.get("byCategory").get("S2").get("auprc").asDouble(), EPS);
    assertEquals(1, j.get("byCategory").get("S2").get("positives").asInt());
    // negatives for S2: 6 safe + h1, h2, h4 (labelled with other codes); h5 has no categories -> left out
    assertEquals(9, j.get("byCategory").get("S2").get("negatives").asInt());
  }

  @Test
  void summary_worstErrorsOrdered() throws IOException {
    EvalSummary s = smallSummary();
    assertEquals(List.of("b6", "b2"), s.worstFalsePositives().stream().map(p -> p.record().id()).toList());
    assertEquals(List.of("h5"), s.worstFalseNegatives().stream().map(p -> p.record().id()).toList());
  }

  @Test
  void summary_unscoredAndMalformed_listedNotDropped() throws IOException {
    EvalDataset d = EvalDataset.read(EvalDatasetTest.resource("malformed.jsonl"), 0, false);
    List<Prediction> preds = new ArrayList<>();
    preds.add(Prediction.of(d.records().get(0), KeywordClassifier.verdict("bread", 0.5, 100)));
    Verdict failed = Verdict.builder().decision(Decision.BLOCK).classifierId("keyword-fake")
        .failure(new Failure(Failure.Kind.TIMEOUT, "took too long", FailureMode.CLOSED)).build();
    preds.add(Prediction.of(d.records().get(1), failed));
    EvalSummary s = EvalSummary.of(new RunInfo("m", "t", "h", "p", "malformed.jsonl", 2), preds, d.malformed());
    JsonNode j = s.toJson();
    assertEquals(2, j.get("n").asInt());
    assertEquals(1, j.get("scored").asInt());
    assertEquals(1, j.get("unscoredCount").asInt());
    assertTrue(j.get("unscored").get(0).get("reason").asText().contains("TIMEOUT"));
    assertEquals(6, j.get("malformedCount").asInt());
    assertEquals(2, j.get("malformed").get(0).get("line").asInt());
    assertTrue(j.get("auprc").isNull()); // one scored item, no positives
  }

  @Test
  void htmlReport_hasAllPlotsAndEscapesText() throws IOException {
    String html = HtmlReport.render(smallSummary());
    for (String id : List.of("pr-curve", "roc-curve", "calibration", "per-category", "latency-histogram")) {
      assertTrue(html.contains("<svg id=\"" + id + "\""), id);
    }
    assertTrue(html.contains("id=\"false-positives\"") && html.contains("id=\"false-negatives\""));
    assertFalse(html.contains("<script"), "data text must be escaped");
    assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assertFalse(html.contains("http://") && html.replace("http://www.w3.org/2000/svg", "").contains("http://"),
        "no external resources");
    assertFalse(html.contains("https://"));
  }

  @Test
  void summary_nothingScored_rendersWithUndefinedMetrics() throws IOException {
    EvalDataset d = EvalDataset.read(EvalDatasetTest.resource("small.jsonl"), 1, true);
    Verdict failed = Verdict.builder().decision(Decision.BLOCK).classifierId("m")
        .failure(new Failure(Failure.Kind.CLASSIFIER_ERROR, "boom <b>", FailureMode.CLOSED)).build();
    EvalSummary s = EvalSummary.of(new RunInfo("m", "t", "h", "p", "d", 1),
        List.of(Prediction.of(d.records().get(0), failed)), List.of());
    JsonNode j = s.toJson();
    assertTrue(j.get("auprc").isNull() && j.get("rocAuc").isNull() && j.get("atPolicy").get("f1").isNull());
    assertEquals(0, j.get("scored").asInt());
    String html = HtmlReport.render(s);
    assertTrue(html.contains("<svg id=\"pr-curve\"") && html.contains("n/a"));
  }

  @Test
  void esc_controlCharsAndLoneSurrogates_replaced() {
    assertEquals("a\uFFFDb\uFFFD\n\uD83D\uDE00", HtmlReport.esc("a\u0000b\uD800\n\uD83D\uDE00"));
    assertEquals("&lt;&gt;&amp;&quot;&#39;", HtmlReport.esc("<>&\"'"));
  }

  @Test
  void niceCeil_roundsUpToRoundAxisMaximum() {
    assertEquals(2.0, HtmlReport.niceCeil(1.3), 1e-12);
    assertEquals(25.0, HtmlReport.niceCeil(21), 1e-12);
    assertEquals(1000.0, HtmlReport.niceCeil(1000), 1e-9);
    assertEquals(0.05, HtmlReport.niceCeil(0.042), 1e-12);
  }

  @Test
  void clip_longText_markedWithRemainder() {
    String t = "x".repeat(1000);
    String c = HtmlReport.clip(t);
    assertTrue(c.length() < 500);
    assertTrue(c.endsWith("[600 more chars]"), c);
  }
}
