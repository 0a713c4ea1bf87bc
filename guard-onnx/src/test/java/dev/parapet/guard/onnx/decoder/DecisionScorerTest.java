package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Logits to scores on hand-made plans and logits: no model, every number worked out by hand. */
class DecisionScorerTest {
  private static final double TOL = 1e-12;

  private static Plan.ResolvedProbe probe(PromptFormat.Probe.Kind kind, List<String> options, int unsafe) {
    return new Plan.ResolvedProbe(new PromptFormat.Probe(kind, "", options, unsafe), -1,
        new long[options.size()]);
  }

  private static Plan plan(List<Plan.ResolvedProbe> probes, List<String> codes) {
    return new Plan(new long[0], List.of(new long[0]), new long[0], probes, codes, List.of(), 1);
  }

  private static float ln(double p) {
    return (float) Math.log(p);
  }

  @Test
  void toScores_binaryThenCategory_categoryIsUnsafeTimesConditional() {
    Plan plan = plan(List.of(probe(PromptFormat.Probe.Kind.BINARY, List.of("safe", "unsafe"), 1),
        probe(PromptFormat.Probe.Kind.CATEGORY, List.of("S1", "S2"), -1)), List.of("S1", "S2"));
    Truncation cut = new Truncation(100, 50, Truncation.Unit.TOKENS, Truncation.Strategy.HEAD_TAIL);
    Scores s = DecisionScorer.toScores(plan, new float[][] {{ln(0.25), ln(0.75)}, {ln(0.4), ln(0.6)}}, cut);
    assertEquals(0.75, s.unsafe(), 1e-6);
    assertEquals(0.75 * 0.4, s.category("S1").orElseThrow(), 1e-6);
    assertEquals(0.75 * 0.6, s.category("S2").orElseThrow(), 1e-6);
    assertTrue(s.controversial().isEmpty());
    assertEquals(cut, s.truncation().orElseThrow());
  }

  @Test
  void toScores_levels_controversialCountsAsFlaggedForCategories() {
    Plan plan = plan(List.of(probe(PromptFormat.Probe.Kind.LEVELS, List.of("Safe", "Unsafe", "Controversial"), 1),
        probe(PromptFormat.Probe.Kind.CATEGORY, List.of("A", "B"), -1)), List.of("A", "B"));
    Scores s = DecisionScorer.toScores(plan, new float[][] {{ln(0.5), ln(0.3), ln(0.2)}, {0f, 0f}}, null);
    assertEquals(0.3, s.unsafe(), 1e-6);
    assertEquals(0.2, s.controversial().orElseThrow(), 1e-6);
    assertEquals(0.25, s.category("A").orElseThrow(), 1e-6); // (0.3 + 0.2) x 0.5
    assertTrue(s.truncation().isEmpty());
  }

  @Test
  void shieldGemmaScores_unsafeIsTheLargestPolicyYes() {
    Plan plan = plan(List.of(probe(PromptFormat.Probe.Kind.BINARY, List.of("No", "Yes"), 1)), List.of("H", "D"));
    Scores s = DecisionScorer.shieldGemmaScores(plan, new double[] {0.2, 0.9}, null);
    assertEquals(0.9, s.unsafe(), TOL);
    assertEquals(0.2, s.category("H").orElseThrow(), TOL);
    assertEquals(0.9, s.category("D").orElseThrow(), TOL);
    assertEquals(0.8, DecisionScorer.yes(plan, new float[] {ln(0.2), ln(0.8)}), 1e-6);
  }

  @Test
  void exactScores_eachCategoryFromItsOwnPrompt() {
    Plan plan = plan(List.of(probe(PromptFormat.Probe.Kind.BINARY, List.of("safe", "unsafe"), 1)), List.of("X", "Y"));
    float[][][] all = {{{ln(0.4), ln(0.6)}}, {{ln(0.9), ln(0.1)}}, {{ln(0.3), ln(0.7)}}};
    Scores s = DecisionScorer.exactScores(plan, all, null);
    assertEquals(0.6, s.unsafe(), 1e-6);
    assertEquals(0.1, s.category("X").orElseThrow(), 1e-6);
    assertEquals(0.7, s.category("Y").orElseThrow(), 1e-6);
  }

  @Test
  void softmax_picksTheIdsFromAVocabularyRow_andSumsToOne() {
    float[] row = {5f, 0f, 1f, 2f};
    double[] p = DecisionScorer.softmax(row, new long[] {2, 3});
    double e = Math.exp(1);
    assertArrayEquals(new double[] {1 / (1 + e), e / (1 + e)}, p, 1e-9);
    // large logits do not overflow (the maximum is subtracted first)
    assertArrayEquals(new double[] {0.5, 0.5}, DecisionScorer.softmax(new float[] {1e30f, 1e30f}), TOL);
  }

  @Test
  void toScores_nanLogits_throwsClassificationException() {
    Plan plan = plan(List.of(probe(PromptFormat.Probe.Kind.BINARY, List.of("safe", "unsafe"), 1)), List.of());
    ClassificationException e = assertThrows(ClassificationException.class,
        () -> DecisionScorer.toScores(plan, new float[][] {{Float.NaN, 0f}}, null));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
  }
}
