package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The one implementation of the binary-classification metrics Parapet reports (eval, eval-stream, the model
 * card). Pure functions over arrays; no state, no dependencies. Thread-safe.
 *
 * <p>Conventions:
 *
 * <ul>
 *   <li>{@code scores[i]} is the predicted P(unsafe) of item i, {@code labels[i]} is true when item i is
 *       unsafe (the positive class). Arrays must have equal length and finite scores.
 *   <li>Ties are handled by treating all items with the same score as one threshold step: they enter the
 *       ranking together (average precision, curves) or share an average rank (ROC-AUC), so the result does
 *       not depend on input order.
 *   <li>An undefined metric (for example recall with no positives) is {@code NaN}; JSON writers turn NaN into
 *       {@code null}.
 * </ul>
 */
public final class Metrics {
  private Metrics() {}

  /**
   * Average precision, the step-wise area under the precision-recall curve:
   * {@code AP = sum_k (R_k - R_{k-1}) * P_k} over distinct score thresholds, descending (the same definition
   * as scikit-learn's {@code average_precision_score}; no interpolation).
   *
   * @return AP in [0, 1], or NaN when there are no positives
   */
  public static double averagePrecision(double[] scores, boolean[] labels) {
    check(scores, labels);
    int pos = countTrue(labels);
    if (pos == 0) {
      return Double.NaN;
    }
    double ap = 0;
    double prevRecall = 0;
    for (CurvePoint p : thresholdSteps(scores, labels)) {
      double recall = (double) p.tp / pos;
      double precision = (double) p.tp / (p.tp + p.fp);
      ap += (recall - prevRecall) * precision;
      prevRecall = recall;
    }
    return ap;
  }

  /**
   * ROC-AUC by the Mann-Whitney U statistic with average ranks for ties: the probability that a random
   * positive scores above a random negative, counting ties as one half.
   *
   * @return AUC in [0, 1], or NaN when either class is empty
   */
  public static double rocAuc(double[] scores, boolean[] labels) {
    check(scores, labels);
    int n = scores.length;
    int pos = countTrue(labels);
    int neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    Integer[] order = ascendingOrder(scores);
    double rankSumPos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double avgRank = (i + j) / 2.0 + 1; // ranks are 1-based
      for (int k = i; k <= j; k++) {
        if (labels[order[k]]) {
          rankSumPos += avgRank;
        }
      }
      i = j + 1;
    }
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /** Confusion counts when an item is predicted unsafe iff {@code score >= threshold}. */
  public static Confusion confusionAt(double[] scores, boolean[] labels, double threshold) {
    check(scores, labels);
    boolean[] predicted = new boolean[scores.length];
    for (int i = 0; i < scores.length; i++) {
      predicted[i] = scores[i] >= threshold;
    }
    return confusion(predicted, labels);
  }

  /** Confusion counts from hard predictions (true = predicted unsafe). */
  public static Confusion confusion(boolean[] predicted, boolean[] labels) {
    requireNonNull(predicted, "predicted");
    requireNonNull(labels, "labels");
    if (predicted.length != labels.length) {
      throw new IllegalArgumentException(
          "predicted and labels differ in length: " + predicted.length + " vs " + labels.length);
    }
    long tp = 0;
    long fp = 0;
    long tn = 0;
    long fn = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predicted[i]) {
        if (labels[i]) {
          tp++;
        } else {
          fp++;
        }
      } else if (labels[i]) {
        fn++;
      } else {
        tn++;
      }
    }
    return new Confusion(tp, fp, tn, fn);
  }

  /**
   * The precision-recall curve, one point per distinct threshold from the highest score down (the first point
   * is the highest threshold). Recall rises monotonically.
   */
  public static List<CurvePoint> prCurve(double[] scores, boolean[] labels) {
    return thresholdSteps(scores, labels);
  }

  /**
   * The ROC curve as cumulative counts per distinct threshold, highest first; use
   * {@link CurvePoint#tpr()} and {@link CurvePoint#fpr()}. The implicit start (0, 0) is not included.
   */
  public static List<CurvePoint> rocCurve(double[] scores, boolean[] labels) {
    return thresholdSteps(scores, labels);
  }

  /**
   * The {@code q}-th percentile (q in [0, 100]) by linear interpolation between closest ranks (numpy's default
   * "linear" method). NaN for an empty array.
   */
  public static double percentile(double[] values, double q) {
    requireNonNull(values, "values");
    if (!(q >= 0 && q <= 100)) {
      throw new IllegalArgumentException("percentile must be in [0, 100], was " + q);
    }
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double pos = q / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  /** The median (50th percentile); NaN for an empty array. */
  public static double median(double[] values) {
    return percentile(values, 50);
  }

  /**
   * Reliability (calibration) bins: {@code bins} equal-width bins over [0, 1]; a score of exactly 1 goes into
   * the last bin. Each bin reports its count, mean score and observed share of positives.
   */
  public static List<ReliabilityBin> reliability(double[] scores, boolean[] labels, int bins) {
    check(scores, labels);
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be >= 1, was " + bins);
    }
    long[] count = new long[bins];
    double[] sumScore = new double[bins];
    long[] positives = new long[bins];
    for (int i = 0; i < scores.length; i++) {
      double s = Math.min(1, Math.max(0, scores[i]));
      int b = Math.min(bins - 1, (int) Math.floor(s * bins));
      count[b]++;
      sumScore[b] += s;
      if (labels[i]) {
        positives[b]++;
      }
    }
    List<ReliabilityBin> out = new ArrayList<>(bins);
    for (int b = 0; b < bins; b++) {
      out.add(new ReliabilityBin((double) b / bins, (double) (b + 1) / bins, count[b],
          count[b] == 0 ? Double.NaN : sumScore[b] / count[b],
          count[b] == 0 ? Double.NaN : (double) positives[b] / count[b]));
    }
    return out;
  }

  /**
   * Expected calibration error over reliability bins: the count-weighted mean of |mean score - observed rate|.
   * NaN when there are no items.
   */
  public static double expectedCalibrationError(List<ReliabilityBin> bins) {
    requireNonNull(bins, "bins");
    long n = 0;
    double sum = 0;
    for (ReliabilityBin b : bins) {
      if (b.count() > 0) {
        n += b.count();
        sum += b.count() * Math.abs(b.meanScore() - b.observedRate());
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** Cumulative counts of items scored at or above one threshold. */
  public static List<CurvePoint> thresholdSteps(double[] scores, boolean[] labels) {
    check(scores, labels);
    int n = scores.length;
    int positives = countTrue(labels);
    Integer[] order = ascendingOrder(scores);
    List<CurvePoint> out = new ArrayList<>();
    long tp = 0;
    long fp = 0;
    int i = n - 1;
    while (i >= 0) {
      double t = scores[order[i]];
      while (i >= 0 && scores[order[i]] == t) {
        if (labels[order[i]]) {
          tp++;
        } else {
          fp++;
        }
        i--;
      }
      out.add(new CurvePoint(t, tp, fp, positives, n - positives));
    }
    return out;
  }

  private static Integer[] ascendingOrder(double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    return order;
  }

  private static int countTrue(boolean[] labels) {
    int n = 0;
    for (boolean b : labels) {
      if (b) {
        n++;
      }
    }
    return n;
  }

  private static void check(double[] scores, boolean[] labels) {
    requireNonNull(scores, "scores");
    requireNonNull(labels, "labels");
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(
          "scores and labels differ in length: " + scores.length + " vs " + labels.length);
    }
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException("score " + i + " is not a finite number: " + scores[i]);
      }
    }
  }

  /**
   * Confusion counts. Immutable.
   *
   * @param tp unsafe, predicted unsafe
   * @param fp safe, predicted unsafe
   * @param tn safe, predicted safe
   * @param fn unsafe, predicted safe
   */
  public record Confusion(long tp, long fp, long tn, long fn) {
    public Confusion {
      if (tp < 0 || fp < 0 || tn < 0 || fn < 0) {
        throw new IllegalArgumentException("counts must be >= 0: " + tp + "," + fp + "," + tn + "," + fn);
      }
    }

    public long n() {
      return tp + fp + tn + fn;
    }

    /** tp / (tp + fp); NaN when nothing was predicted unsafe. */
    public double precision() {
      return ratio(tp, tp + fp);
    }

    /** tp / (tp + fn); NaN when there are no positives. */
    public double recall() {
      return ratio(tp, tp + fn);
    }

    /** Harmonic mean of precision and recall, 2tp / (2tp + fp + fn); NaN when there is nothing to score. */
    public double f1() {
      return ratio(2 * tp, 2 * tp + fp + fn);
    }

    /** fp / (fp + tn); NaN when there are no negatives. */
    public double fpr() {
      return ratio(fp, fp + tn);
    }

    public double accuracy() {
      return ratio(tp + tn, n());
    }

    private static double ratio(long a, long b) {
      return b == 0 ? Double.NaN : (double) a / b;
    }
  }

  /**
   * One threshold step: the counts of items whose score is {@code >= threshold}.
   *
   * @param threshold the score
   * @param tp positives at or above it
   * @param fp negatives at or above it
   * @param positives all positives
   * @param negatives all negatives
   */
  public record CurvePoint(double threshold, long tp, long fp, long positives, long negatives) {
    public double precision() {
      return tp + fp == 0 ? Double.NaN : (double) tp / (tp + fp);
    }

    public double recall() {
      return positives == 0 ? Double.NaN : (double) tp / positives;
    }

    /** True-positive rate, same as recall. */
    public double tpr() {
      return recall();
    }

    /** False-positive rate; NaN when there are no negatives. */
    public double fpr() {
      return negatives == 0 ? Double.NaN : (double) fp / negatives;
    }
  }

  /**
   * One calibration bin over [lower, upper).
   *
   * @param count items in the bin
   * @param meanScore mean predicted probability (NaN when empty)
   * @param observedRate share of positives (NaN when empty)
   */
  public record ReliabilityBin(double lower, double upper, long count, double meanScore, double observedRate) {}
}
