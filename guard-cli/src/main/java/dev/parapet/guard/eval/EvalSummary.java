package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The metrics of one evaluation run, computed once from the predictions with {@link Metrics}, rendered as
 * {@code metrics.json} ({@link #toJson()}) and {@code report.html} ({@link HtmlReport}). Immutable.
 *
 * <p>Items the classifier could not score (failures, documented input handling) are left out of every
 * metric and listed under {@code unscored}; malformed input lines are listed under {@code malformed}.
 * "At the policy" means an item counts as predicted unsafe when the policy's decision is FLAG or BLOCK.
 */
public final class EvalSummary {
  static final int WORST = 10;
  static final int BINS = 10;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunInfo info;
  private final List<Prediction> predictions;
  private final List<Prediction> scored;
  private final List<MalformedLine> malformed;
  private final double[] scores;
  private final boolean[] labels;
  private final Metrics.Confusion atPolicy;
  private final double auprc;
  private final double rocAuc;
  private final List<Metrics.CurvePoint> curve;
  private final List<Metrics.ReliabilityBin> reliability;
  private final double[] latencies;
  private final Map<String, CategoryStats> categories;
  private final Map<String, SourceStats> sources;
  private final List<Prediction> worstFalsePositives;
  private final List<Prediction> worstFalseNegatives;

  private EvalSummary(RunInfo info, List<Prediction> predictions, List<MalformedLine> malformed) {
    this.info = info;
    this.predictions = List.copyOf(predictions);
    this.malformed = List.copyOf(malformed);
    this.scored = predictions.stream().filter(Prediction::scored).toList();
    int n = scored.size();
    scores = new double[n];
    labels = new boolean[n];
    boolean[] predicted = new boolean[n];
    for (int i = 0; i < n; i++) {
      Prediction p = scored.get(i);
      scores[i] = p.score();
      labels[i] = p.record().unsafe();
      predicted[i] = p.predictedUnsafe();
    }
    atPolicy = Metrics.confusion(predicted, labels);
    auprc = Metrics.averagePrecision(scores, labels);
    rocAuc = Metrics.rocAuc(scores, labels);
    curve = Metrics.thresholdSteps(scores, labels);
    reliability = Metrics.reliability(scores, labels, BINS);
    latencies = predictions.stream().mapToDouble(Prediction::latencyMillis).toArray();
    categories = categoryStats(scored);
    sources = sourceStats(scored);
    worstFalsePositives = scored.stream().filter(p -> !p.record().unsafe() && p.predictedUnsafe())
        .sorted(Comparator.comparingDouble(Prediction::score).reversed()).limit(WORST).toList();
    worstFalseNegatives = scored.stream().filter(p -> p.record().unsafe() && !p.predictedUnsafe())
        .sorted(Comparator.comparingDouble(Prediction::score)).limit(WORST).toList();
  }

  /** Computes the summary. */
  public static EvalSummary of(RunInfo info, List<Prediction> predictions, List<MalformedLine> malformed) {
    return new EvalSummary(requireNonNull(info, "info"), requireNonNull(predictions, "predictions"),
        requireNonNull(malformed, "malformed"));
  }

  public RunInfo info() {
    return info;
  }

  public List<Prediction> predictions() {
    return predictions;
  }

  public List<MalformedLine> malformed() {
    return malformed;
  }

  public Metrics.Confusion atPolicy() {
    return atPolicy;
  }

  public double auprc() {
    return auprc;
  }

  public double rocAuc() {
    return rocAuc;
  }

  /** Threshold steps of the scored items (PR and ROC curves). */
  public List<Metrics.CurvePoint> curve() {
    return curve;
  }

  public List<Metrics.ReliabilityBin> reliability() {
    return reliability;
  }

  public double[] latencies() {
    return latencies.clone();
  }

  public double latencyPercentile(double q) {
    return Metrics.percentile(latencies, q);
  }

  public Map<String, CategoryStats> categories() {
    return categories;
  }

  public Map<String, SourceStats> sources() {
    return sources;
  }

  public List<Prediction> worstFalsePositives() {
    return worstFalsePositives;
  }

  public List<Prediction> worstFalseNegatives() {
    return worstFalseNegatives;
  }

  public long positives() {
    return atPolicy.tp() + atPolicy.fn();
  }

  public long negatives() {
    return atPolicy.fp() + atPolicy.tn();
  }

  /** Scored items. */
  public int scoredCount() {
    return scored.size();
  }

  /** The metrics.json document. */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("n", predictions.size());
    root.put("scored", scored.size());
    root.put("positives", positives());
    root.put("negatives", negatives());
    num(root, "auprc", auprc);
    num(root, "rocAuc", rocAuc);
    ObjectNode at = root.putObject("atPolicy");
    at.put("policy", info.policySpec());
    SummaryJson.confusion(at, atPolicy);
    num(at, "accuracy", atPolicy.accuracy());
    ObjectNode lat = root.putObject("latencyMs");
    num(lat, "p50", latencyPercentile(50));
    num(lat, "p95", latencyPercentile(95));
    num(lat, "p99", latencyPercentile(99));
    num(lat, "max", latencies.length == 0 ? Double.NaN : latencyPercentile(100));
    ObjectNode bySource = root.putObject("bySource");
    sources.forEach((src, s) -> {
      ObjectNode o = bySource.putObject(src);
      o.put("n", s.positives + s.negatives);
      o.put("positives", s.positives);
      o.put("negatives", s.negatives);
      num(o, "recall", s.confusion.recall());
      num(o, "fpr", s.confusion.fpr());
      num(o, "precision", s.confusion.precision());
    });
    ObjectNode byCat = root.putObject("byCategory");
    categories.forEach((code, c) -> {
      ObjectNode o = byCat.putObject(code);
      o.put("positives", c.positives);
      o.put("negatives", c.negatives);
      num(o, "auprc", c.auprc);
      c.note.ifPresent(n -> o.put("note", n));
    });
    ObjectNode cal = root.putObject("calibration");
    num(cal, "ece", Metrics.expectedCalibrationError(reliability));
    ArrayNode bins = cal.putArray("bins");
    for (Metrics.ReliabilityBin b : reliability) {
      ObjectNode o = bins.addObject();
      o.put("lower", b.lower());
      o.put("upper", b.upper());
      o.put("count", b.count());
      num(o, "meanScore", b.meanScore());
      num(o, "observedRate", b.observedRate());
    }
    worstJson(root.putArray("worstFalsePositives"), worstFalsePositives);
    worstJson(root.putArray("worstFalseNegatives"), worstFalseNegatives);
    List<Prediction> unscored = predictions.stream().filter(p -> !p.scored()).toList();
    root.put("unscoredCount", unscored.size());
    ArrayNode un = root.putArray("unscored");
    for (Prediction p : unscored) {
      ObjectNode o = un.addObject();
      o.put("id", p.record().id());
      o.put("line", p.record().line());
      o.put("reason", p.unscoredReason().orElse(""));
    }
    SummaryJson.malformed(root, malformed);
    SummaryJson.runInfo(root, info);
    root.put("threads", info.threads());
    return root;
  }

  private static void worstJson(ArrayNode arr, List<Prediction> list) {
    for (Prediction p : list) {
      ObjectNode o = arr.addObject();
      o.put("id", p.record().id());
      o.put("line", p.record().line());
      o.put("score", p.score());
      o.put("decision", p.decision().name());
      o.put("source", p.record().sourceOrUnknown());
    }
  }

  static void num(ObjectNode o, String key, double v) {
    if (Double.isFinite(v)) {
      o.put(key, v);
    } else {
      o.putNull(key);
    }
  }

  private static Map<String, SourceStats> sourceStats(List<Prediction> scored) {
    Map<String, List<Prediction>> bySource = new TreeMap<>();
    for (Prediction p : scored) {
      bySource.computeIfAbsent(p.record().sourceOrUnknown(), k -> new ArrayList<>()).add(p);
    }
    Map<String, SourceStats> out = new LinkedHashMap<>();
    bySource.forEach((src, ps) -> {
      boolean[] l = new boolean[ps.size()];
      boolean[] pr = new boolean[ps.size()];
      for (int i = 0; i < ps.size(); i++) {
        l[i] = ps.get(i).record().unsafe();
        pr[i] = ps.get(i).predictedUnsafe();
      }
      Metrics.Confusion c = Metrics.confusion(pr, l);
      out.put(src, new SourceStats(c.tp() + c.fn(), c.fp() + c.tn(), c));
    });
    return out;
  }

  /**
   * Per-category AUPRC, one-vs-rest: positives are unsafe items labelled with the code; negatives are safe
   * items and unsafe items labelled only with other codes; unsafe items without category labels are left out
   * (their category is unknown). The score is the classifier's score for that code.
   */
  private static Map<String, CategoryStats> categoryStats(List<Prediction> scored) {
    Set<String> codes = new LinkedHashSet<>();
    for (Prediction p : scored) {
      if (p.record().unsafe()) {
        codes.addAll(p.record().categories());
      }
    }
    Map<String, CategoryStats> out = new TreeMap<>(EvalSummary::compareCodes);
    for (String code : codes) {
      List<Double> s = new ArrayList<>();
      List<Boolean> l = new ArrayList<>();
      boolean missingScore = false;
      for (Prediction p : scored) {
        EvalRecord r = p.record();
        if (r.unsafe() && r.categories().isEmpty()) {
          continue;
        }
        Double cs = p.categoryScores().get(code);
        if (cs == null) {
          missingScore = true;
          break;
        }
        s.add(cs);
        l.add(r.unsafe() && r.categories().contains(code));
      }
      long pos = l.stream().filter(b -> b).count();
      long neg = l.size() - pos;
      if (missingScore) {
        long labelled = scored.stream().filter(p -> p.record().categories().contains(code)).count();
        out.put(code, new CategoryStats(labelled, 0, Double.NaN, Optional.of("the classifier reports no score for "
            + code + "; does the data use another taxonomy's codes? pass --taxonomy")));
        continue;
      }
      double[] sa = s.stream().mapToDouble(Double::doubleValue).toArray();
      boolean[] la = new boolean[l.size()];
      for (int i = 0; i < la.length; i++) {
        la[i] = l.get(i);
      }
      out.put(code, new CategoryStats(pos, neg, neg == 0 ? Double.NaN : Metrics.averagePrecision(sa, la),
          neg == 0 ? Optional.of("no negatives") : Optional.empty()));
    }
    return out;
  }

  /** Orders S2 before S10. */
  static int compareCodes(String a, String b) {
    String pa = a.replaceAll("\\d+$", "");
    String pb = b.replaceAll("\\d+$", "");
    int c = pa.compareTo(pb);
    if (c != 0) {
      return c;
    }
    String na = a.substring(pa.length());
    String nb = b.substring(pb.length());
    if (!na.isEmpty() && !nb.isEmpty() && na.length() < 10 && nb.length() < 10) {
      return Long.compare(Long.parseLong(na), Long.parseLong(nb));
    }
    return a.compareTo(b);
  }

  /** Per-category numbers; {@code note} says why AUPRC is missing. */
  public record CategoryStats(long positives, long negatives, double auprc, Optional<String> note) {}

  /** Per-source numbers at the policy. */
  public record SourceStats(long positives, long negatives, Metrics.Confusion confusion) {}
}
