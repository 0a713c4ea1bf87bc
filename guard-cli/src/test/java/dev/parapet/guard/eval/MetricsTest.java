package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Metrics against values computed by hand (worked out in the comments). */
class MetricsTest {
  private static final double EPS = 1e-12;

  // Set A, sorted by score: 0.9+ 0.8- 0.7+ 0.6+ 0.5- 0.4-   (3 positives, 3 negatives)
  private static final double[] A_SCORES = {0.5, 0.9, 0.4, 0.7, 0.8, 0.6};
  private static final boolean[] A_LABELS = {false, true, false, true, false, true};

  @Test
  void averagePrecision_distinctScores_matchesHandComputedValue() {
    // thresholds: 0.9 -> P 1, R 1/3; 0.8 -> P 1/2, R 1/3 (no recall step); 0.7 -> P 2/3, R 2/3; 0.6 -> P 3/4, R 1
    // AP = 1/3*1 + 1/3*2/3 + 1/3*3/4 = 29/36
    assertEquals(29.0 / 36, Metrics.averagePrecision(A_SCORES, A_LABELS), EPS);
  }

  @Test
  void rocAuc_distinctScores_matchesPairCount() {
    // positive > negative pairs: 0.9 beats 3, 0.7 beats 2, 0.6 beats 2 -> 7 of 9
    assertEquals(7.0 / 9, Metrics.rocAuc(A_SCORES, A_LABELS), EPS);
  }

  @Test
  void averagePrecision_tiedScores_treatsTieAsOneStepWhateverTheOrder() {
    // all three 0.8s enter together: P = 2/3 at R = 1 -> AP = 2/3; an order-dependent implementation gives 1 or 5/6
    double[] s1 = {0.8, 0.8, 0.8, 0.2};
    boolean[] l1 = {true, false, true, false};
    double[] s2 = {0.8, 0.8, 0.8, 0.2};
    boolean[] l2 = {false, true, true, false};
    assertEquals(2.0 / 3, Metrics.averagePrecision(s1, l1), EPS);
    assertEquals(2.0 / 3, Metrics.averagePrecision(s2, l2), EPS);
  }

  @Test
  void rocAuc_tiedScores_countsTiesAsHalf() {
    // pos {0.8, 0.8} vs neg {0.8, 0.2}: each positive ties one negative (1/2) and beats one (1) -> 3/4
    assertEquals(0.75, Metrics.rocAuc(new double[] {0.8, 0.8, 0.8, 0.2}, new boolean[] {true, false, true, false}),
        EPS);
    // all scores equal: 1/2
    assertEquals(0.5, Metrics.rocAuc(new double[] {0.3, 0.3, 0.3}, new boolean[] {true, false, false}), EPS);
  }

  @Test
  void perfectAndInvertedRankings_giveExtremes() {
    double[] s = {0.1, 0.2, 0.8, 0.9};
    boolean[] l = {false, false, true, true};
    assertEquals(1.0, Metrics.averagePrecision(s, l), EPS);
    assertEquals(1.0, Metrics.rocAuc(s, l), EPS);
    boolean[] inv = {true, true, false, false};
    assertEquals(0.0, Metrics.rocAuc(s, inv), EPS);
    // inverted: positives at ranks 3 and 4 -> AP = 1/2*1/3 + 1/2*2/4 = 5/12
    assertEquals(5.0 / 12, Metrics.averagePrecision(s, inv), EPS);
  }

  @Test
  void metrics_oneClassOnly_areNaN() {
    double[] s = {0.1, 0.9};
    assertTrue(Double.isNaN(Metrics.averagePrecision(s, new boolean[] {false, false})));
    assertTrue(Double.isNaN(Metrics.rocAuc(s, new boolean[] {true, true})));
    assertEquals(1.0, Metrics.averagePrecision(s, new boolean[] {true, true}), EPS);
  }

  @Test
  void confusionAt_threshold_givesPrecisionRecallF1Fpr() {
    // >= 0.65 predicted unsafe: 0.9+ 0.8- 0.7+ -> TP 2, FP 1; 0.6+ -> FN 1; 0.5- 0.4- -> TN 2
    Metrics.Confusion c = Metrics.confusionAt(A_SCORES, A_LABELS, 0.65);
    assertEquals(new Metrics.Confusion(2, 1, 2, 1), c);
    assertEquals(2.0 / 3, c.precision(), EPS);
    assertEquals(2.0 / 3, c.recall(), EPS);
    assertEquals(2.0 / 3, c.f1(), EPS);
    assertEquals(1.0 / 3, c.fpr(), EPS);
    assertEquals(4.0 / 6, c.accuracy(), EPS);
    // the threshold is inclusive
    assertEquals(3, Metrics.confusionAt(A_SCORES, A_LABELS, 0.6).tp());
  }

  @Test
  void confusion_f1_unequalPrecisionAndRecall() {
    // TP 3, FP 1, FN 3: P = 3/4, R = 1/2, F1 = 2PR/(P+R) = 0.6
    Metrics.Confusion c = new Metrics.Confusion(3, 1, 5, 3);
    assertEquals(0.6, c.f1(), EPS);
    assertEquals(1.0 / 6, c.fpr(), EPS);
    assertTrue(Double.isNaN(new Metrics.Confusion(0, 0, 4, 0).precision()));
  }

  @Test
  void curve_tiesGroupedAndCumulative() {
    List<Metrics.CurvePoint> c = Metrics.thresholdSteps(new double[] {0.8, 0.8, 0.8, 0.2},
        new boolean[] {true, false, true, false});
    assertEquals(2, c.size());
    assertEquals(new Metrics.CurvePoint(0.8, 2, 1, 2, 2), c.get(0));
    assertEquals(new Metrics.CurvePoint(0.2, 2, 2, 2, 2), c.get(1));
    assertEquals(0.5, c.get(0).fpr(), EPS);
    assertEquals(1.0, c.get(1).tpr(), EPS);
  }

  @Test
  void percentile_linearInterpolation() {
    double[] v = {4, 1, 3, 2};
    assertEquals(2.5, Metrics.percentile(v, 50), EPS);
    assertEquals(3.85, Metrics.percentile(v, 95), 1e-9);
    assertEquals(1, Metrics.percentile(v, 0), EPS);
    assertEquals(4, Metrics.percentile(v, 100), EPS);
    assertEquals(7, Metrics.percentile(new double[] {7}, 99), EPS);
    assertTrue(Double.isNaN(Metrics.median(new double[0])));
    assertThrows(IllegalArgumentException.class, () -> Metrics.percentile(v, 101));
  }

  @Test
  void reliability_binsAndEce() {
    double[] s = {0.05, 0.15, 0.95, 1.0};
    boolean[] l = {false, true, true, true};
    List<Metrics.ReliabilityBin> bins = Metrics.reliability(s, l, 10);
    assertEquals(10, bins.size());
    assertEquals(1, bins.get(0).count());
    assertEquals(0.0, bins.get(0).observedRate(), EPS);
    assertEquals(1, bins.get(1).count());
    assertEquals(2, bins.get(9).count()); // 1.0 goes into the last bin
    assertEquals(0.975, bins.get(9).meanScore(), EPS);
    assertTrue(Double.isNaN(bins.get(5).meanScore()));
    // ECE = (1*|0.05-0| + 1*|0.15-1| + 2*|0.975-1|) / 4 = (0.05 + 0.85 + 0.05) / 4
    assertEquals(0.95 / 4, Metrics.expectedCalibrationError(bins), 1e-12);
  }

  @Test
  void badInput_rejectedWithMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Metrics.averagePrecision(new double[] {0.1}, new boolean[] {true, false}));
    assertTrue(e.getMessage().contains("differ in length"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Metrics.rocAuc(new double[] {Double.NaN, 0.2}, new boolean[] {true, false}));
    assertTrue(e.getMessage().contains("score 0"), e.getMessage());
    assertThrows(NullPointerException.class, () -> Metrics.averagePrecision(null, new boolean[0]));
  }
}
