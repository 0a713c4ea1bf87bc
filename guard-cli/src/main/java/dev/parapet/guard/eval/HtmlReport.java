package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders an {@link EvalSummary} as one self-contained HTML page: inline SVG plots and tables, no scripts, no
 * external resources. Every piece of data text is HTML-escaped. Thread-safe (stateless).
 *
 * <p>Element ids (stable, tests rely on them): {@code summary}, {@code pr-curve}, {@code roc-curve},
 * {@code calibration}, {@code per-category}, {@code latency-histogram}, {@code by-source},
 * {@code false-positives}, {@code false-negatives}, {@code malformed}.
 */
public final class HtmlReport {
  static final int TEXT_LIMIT = 400;
  private static final int W = 440;
  private static final int H = 330;
  private static final int ML = 52;
  private static final int MR = 16;
  private static final int MT = 28;
  private static final int MB = 44;

  private HtmlReport() {}

  /** The HTML page. */
  public static String render(EvalSummary s) {
    requireNonNull(s, "summary");
    StringBuilder h = new StringBuilder(64 * 1024);
    RunInfo info = s.info();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
        .append("<title>Parapet evaluation: ").append(esc(info.modelId())).append("</title>\n<style>")
        .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1240px}")
        .append("h1{font-size:22px}h2{font-size:17px;margin-top:28px}")
        .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("vertical-align:top;text-align:left}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}")
        .append(".plots{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0}figcaption{font-size:13px;color:#555}")
        .append("td.text{max-width:620px;white-space:pre-wrap;word-break:break-word}")
        .append("svg text{font-size:11px;fill:#333}")
        .append("</style></head><body>\n");
    h.append("<h1>Parapet evaluation report</h1>\n");
    summaryTable(h, s);
    h.append("<h2>Curves</h2><div class=\"plots\">\n");
    figure(h, prCurve(s), "Precision-recall curve; AP = " + fmt(s.auprc()) + ". The dot is the policy's operating point.");
    figure(h, rocCurve(s), "ROC curve; AUC = " + fmt(s.rocAuc()) + ". The dot is the policy's operating point.");
    figure(h, calibration(s), "Reliability diagram (" + EvalSummary.BINS
        + " bins): observed unsafe rate against mean predicted P(unsafe); ECE = "
        + fmt(Metrics.expectedCalibrationError(s.reliability())) + ".");
    figure(h, perCategory(s), "AUPRC per labelled category (one-vs-rest).");
    figure(h, latencyHistogram(s), "Latency per check (ms): p50 " + fmt(s.latencyPercentile(50)) + ", p95 "
        + fmt(s.latencyPercentile(95)) + ", p99 " + fmt(s.latencyPercentile(99)) + ".");
    h.append("</div>\n");
    bySource(h, s);
    h.append("<h2>Worst false positives</h2><p>Safe items the policy flagged or blocked, highest P(unsafe) first.</p>\n");
    examples(h, "false-positives", s.worstFalsePositives());
    h.append("<h2>Worst false negatives</h2><p>Unsafe items the policy allowed, lowest P(unsafe) first.</p>\n");
    examples(h, "false-negatives", s.worstFalseNegatives());
    malformed(h, s);
    h.append("</body></html>\n");
    return h.toString();
  }

  private static void summaryTable(StringBuilder h, EvalSummary s) {
    RunInfo info = s.info();
    Metrics.Confusion c = s.atPolicy();
    h.append("<table id=\"summary\">");
    row(h, "Model", esc(info.modelId()));
    row(h, "Taxonomy", esc(info.taxonomyName()) + " (" + esc(info.taxonomyHash()) + ")");
    row(h, "Policy", esc(info.policySpec()));
    row(h, "Data", esc(info.data()));
    row(h, "Items", s.predictions().size() + " (scored " + s.scoredCount() + ": " + s.positives() + " unsafe, "
        + s.negatives() + " safe; unscored " + (s.predictions().size() - s.scoredCount()) + "; malformed lines skipped "
        + s.malformed().size() + ")");
    row(h, "AUPRC / ROC-AUC", fmt(s.auprc()) + " / " + fmt(s.rocAuc()));
    row(h, "At the policy", "precision " + fmt(c.precision()) + ", recall " + fmt(c.recall()) + ", F1 "
        + fmt(c.f1()) + ", FPR " + fmt(c.fpr()) + " (TP " + c.tp() + ", FP " + c.fp() + ", TN " + c.tn() + ", FN "
        + c.fn() + ")");
    row(h, "Latency (ms)", "p50 " + fmt(s.latencyPercentile(50)) + ", p95 " + fmt(s.latencyPercentile(95))
        + ", p99 " + fmt(s.latencyPercentile(99)));
    h.append("</table>\n");
  }

  private static void row(StringBuilder h, String k, String escapedValue) {
    h.append("<tr><th>").append(esc(k)).append("</th><td>").append(escapedValue).append("</td></tr>");
  }

  private static void figure(StringBuilder h, String svg, String caption) {
    h.append("<figure>").append(svg).append("<figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
  }

  static String prCurve(EvalSummary s) {
    Plot p = new Plot("pr-curve", "Precision-recall", "recall", "precision", 0, 1);
    List<double[]> pts = new ArrayList<>();
    double prevRecall = 0;
    for (Metrics.CurvePoint c : s.curve()) {
      double r = c.recall();
      double pr = c.precision();
      if (Double.isNaN(r) || Double.isNaN(pr)) {
        continue;
      }
      // step: precision holds from the previous recall to this one
      pts.add(new double[] {prevRecall, pr});
      pts.add(new double[] {r, pr});
      prevRecall = r;
    }
    p.polyline(pts, "#1f6fb4");
    Metrics.Confusion c = s.atPolicy();
    p.dot(c.recall(), c.precision(), "#d1495b");
    return p.svg();
  }

  static String rocCurve(EvalSummary s) {
    Plot p = new Plot("roc-curve", "ROC", "false-positive rate", "true-positive rate", 0, 1);
    p.polyline(List.of(new double[] {0, 0}, new double[] {1, 1}), "#aaa", true);
    List<double[]> pts = new ArrayList<>();
    pts.add(new double[] {0, 0});
    for (Metrics.CurvePoint c : s.curve()) {
      if (!Double.isNaN(c.fpr()) && !Double.isNaN(c.tpr())) {
        pts.add(new double[] {c.fpr(), c.tpr()});
      }
    }
    p.polyline(pts, "#1f6fb4");
    Metrics.Confusion c = s.atPolicy();
    p.dot(c.fpr(), c.recall(), "#d1495b");
    return p.svg();
  }

  static String calibration(EvalSummary s) {
    Plot p = new Plot("calibration", "Calibration", "mean predicted P(unsafe)", "observed unsafe rate", 0, 1);
    p.polyline(List.of(new double[] {0, 0}, new double[] {1, 1}), "#aaa", true);
    long max = 1;
    for (Metrics.ReliabilityBin b : s.reliability()) {
      max = Math.max(max, b.count());
    }
    for (Metrics.ReliabilityBin b : s.reliability()) {
      // count bars along the bottom, scaled to a fifth of the height
      p.bar(b.lower(), b.upper(), 0.2 * b.count() / max, "#d9e6f2", b.count() + " items");
    }
    List<double[]> pts = new ArrayList<>();
    for (Metrics.ReliabilityBin b : s.reliability()) {
      if (b.count() > 0) {
        pts.add(new double[] {b.meanScore(), b.observedRate()});
      }
    }
    p.polyline(pts, "#1f6fb4");
    for (double[] pt : pts) {
      p.dot(pt[0], pt[1], "#1f6fb4");
    }
    return p.svg();
  }

  static String perCategory(EvalSummary s) {
    Map<String, EvalSummary.CategoryStats> cats = s.categories();
    int n = Math.max(1, cats.size());
    int rowH = 18;
    int height = Math.max(H, MT + MB + n * rowH);
    StringBuilder g = new StringBuilder();
    g.append(svgOpen("per-category", W, height)).append(title("AUPRC per category"));
    int x0 = 70;
    int plotW = W - x0 - 100;
    if (cats.isEmpty()) {
      g.append("<text x=\"").append(W / 2).append("\" y=\"").append(height / 2)
          .append("\" text-anchor=\"middle\">no category labels in the data</text>");
    }
    int i = 0;
    for (Map.Entry<String, EvalSummary.CategoryStats> e : cats.entrySet()) {
      int y = MT + 6 + i * rowH;
      EvalSummary.CategoryStats c = e.getValue();
      g.append("<text x=\"").append(x0 - 6).append("\" y=\"").append(y + 12).append("\" text-anchor=\"end\">")
          .append(esc(e.getKey())).append("</text>");
      if (Double.isNaN(c.auprc())) {
        g.append("<text x=\"").append(x0 + 4).append("\" y=\"").append(y + 12).append("\">n/a: ")
            .append(esc(c.note().orElse(""))).append("</text>");
      } else {
        double w = plotW * c.auprc();
        g.append("<rect class=\"bar\" x=\"").append(x0).append("\" y=\"").append(y).append("\" width=\"")
            .append(f(w)).append("\" height=\"").append(rowH - 4).append("\" fill=\"#1f6fb4\"><title>")
            .append(esc(e.getKey() + ": AUPRC " + fmt(c.auprc()) + ", " + c.positives() + " positives"))
            .append("</title></rect>");
        g.append("<text x=\"").append(f(x0 + w + 4)).append("\" y=\"").append(y + 12).append("\">")
            .append(fmt(c.auprc())).append(" (n+=").append(c.positives()).append(")</text>");
      }
      i++;
    }
    return g.append("</svg>").toString();
  }

  static String latencyHistogram(EvalSummary s) {
    double[] lat = s.latencies();
    double hi = lat.length == 0 ? 1 : niceCeil(Math.max(Metrics.percentile(lat, 99) * 1.05, 1e-3));
    int bins = 24;
    long[] counts = new long[bins];
    long over = 0;
    for (double v : lat) {
      if (v > hi) {
        over++;
        continue;
      }
      counts[Math.min(bins - 1, (int) Math.floor(v / hi * bins))]++;
    }
    long max = 1;
    for (long c : counts) {
      max = Math.max(max, c);
    }
    Plot p = new Plot("latency-histogram", "Latency histogram", "ms per check" + (over > 0 ? " (" + over
        + " above p99 not shown)" : ""), "checks", 0, hi);
    p.yMax = niceCeil(max);
    for (int b = 0; b < bins; b++) {
      p.bar(hi * b / bins, hi * (b + 1) / bins, counts[b], "#1f6fb4", counts[b] + " checks");
    }
    return p.svg();
  }

  private static void bySource(StringBuilder h, EvalSummary s) {
    h.append("<h2>By source</h2><table id=\"by-source\"><tr><th>source</th><th>unsafe</th><th>safe</th>")
        .append("<th>recall</th><th>FPR</th><th>precision</th></tr>");
    s.sources().forEach((src, st) -> h.append("<tr><td>").append(esc(src)).append("</td><td class=\"num\">")
        .append(st.positives()).append("</td><td class=\"num\">").append(st.negatives())
        .append("</td><td class=\"num\">").append(fmt(st.confusion().recall())).append("</td><td class=\"num\">")
        .append(fmt(st.confusion().fpr())).append("</td><td class=\"num\">")
        .append(fmt(st.confusion().precision())).append("</td></tr>"));
    h.append("</table>\n");
  }

  private static void examples(StringBuilder h, String id, List<Prediction> list) {
    h.append("<table id=\"").append(id).append("\"><tr><th>id</th><th>line</th><th>source</th><th>P(unsafe)</th>")
        .append("<th>decision</th><th>labels</th><th>prompt</th><th>response</th></tr>");
    if (list.isEmpty()) {
      h.append("<tr><td colspan=\"8\">none</td></tr>");
    }
    for (Prediction p : list) {
      EvalRecord r = p.record();
      h.append("<tr><td>").append(esc(r.id())).append("</td><td class=\"num\">").append(r.line())
          .append("</td><td>").append(esc(r.sourceOrUnknown())).append("</td><td class=\"num\">")
          .append(fmt(p.score())).append("</td><td>").append(p.decision()).append("</td><td>")
          .append(esc((r.unsafe() ? "unsafe " : "safe ") + String.join(",", r.categories())))
          .append("</td><td class=\"text\">").append(esc(clip(r.prompt()))).append("</td><td class=\"text\">")
          .append(r.response().map(x -> esc(clip(x))).orElse("<i>none</i>")).append("</td></tr>");
    }
    h.append("</table>\n");
  }

  private static void malformed(StringBuilder h, EvalSummary s) {
    h.append("<h2>Malformed input lines</h2><table id=\"malformed\"><tr><th>line</th><th>reason</th></tr>");
    if (s.malformed().isEmpty()) {
      h.append("<tr><td colspan=\"2\">none</td></tr>");
    }
    int shown = 0;
    for (MalformedLine m : s.malformed()) {
      if (shown++ == 200) {
        h.append("<tr><td colspan=\"2\">").append(s.malformed().size() - 200).append(" more (see metrics.json)</td></tr>");
        break;
      }
      h.append("<tr><td class=\"num\">").append(m.line()).append("</td><td>").append(esc(m.reason()))
          .append("</td></tr>");
    }
    h.append("</table>\n");
  }

  static String clip(String text) {
    if (text.length() <= TEXT_LIMIT) {
      return text;
    }
    int end = TEXT_LIMIT;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + " … [" + (text.length() - end) + " more chars]";
  }

  /**
   * HTML-escapes text for element content and attribute values; control characters other than tab and
   * newline, and lone surrogates, become U+FFFD.
   */
  public static String esc(String s) {
    requireNonNull(s, "s");
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&':
          b.append("&amp;");
          break;
        case '<':
          b.append("&lt;");
          break;
        case '>':
          b.append("&gt;");
          break;
        case '"':
          b.append("&quot;");
          break;
        case '\'':
          b.append("&#39;");
          break;
        default:
          if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            b.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c) || (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c < 0xa0)) {
            b.append('\uFFFD');
          } else {
            b.append(c);
          }
      }
    }
    return b.toString();
  }

  /** The smallest of 1, 2, 2.5, 5 (times a power of ten) that is >= v, so that quarter ticks are round. */
  static double niceCeil(double v) {
    double pow = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * pow >= v * (1 - 1e-12)) {
        return m * pow;
      }
    }
    return 10 * pow;
  }

  static String fmt(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "n/a";
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String svgOpen(String id, int w, int h) {
    return "<svg id=\"" + id + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h
        + "\" viewBox=\"0 0 " + w + " " + h + "\" role=\"img\">";
  }

  private static String title(String t) {
    return "<text x=\"" + (W / 2) + "\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">" + esc(t) + "</text>";
  }

  /** A square x-y plot with axes; x in [xMin, xMax], y in [0, yMax]. */
  private static final class Plot {
    private final String id;
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final double xMin;
    private final double xMax;
    double yMax = 1;
    private final StringBuilder body = new StringBuilder();

    Plot(String id, String title, String xLabel, String yLabel, double xMin, double xMax) {
      this.id = id;
      this.title = title;
      this.xLabel = xLabel;
      this.yLabel = yLabel;
      this.xMin = xMin;
      this.xMax = xMax;
    }

    double px(double x) {
      return ML + (x - xMin) / (xMax - xMin) * (W - ML - MR);
    }

    double py(double y) {
      return H - MB - y / yMax * (H - MT - MB);
    }

    void polyline(List<double[]> pts, String color) {
      polyline(pts, color, false);
    }

    void polyline(List<double[]> pts, String color, boolean dashed) {
      if (pts.isEmpty()) {
        return;
      }
      body.append("<polyline class=\"curve\" fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"")
          .append(dashed ? "1" : "2").append('"').append(dashed ? " stroke-dasharray=\"4 3\"" : "")
          .append(" points=\"");
      for (double[] p : pts) {
        body.append(f(px(p[0]))).append(',').append(f(py(p[1]))).append(' ');
      }
      body.append("\"/>");
    }

    void dot(double x, double y, String color) {
      if (Double.isFinite(x) && Double.isFinite(y)) {
        body.append("<circle cx=\"").append(f(px(x))).append("\" cy=\"").append(f(py(y)))
            .append("\" r=\"4\" fill=\"").append(color).append("\"/>");
      }
    }

    void bar(double x0, double x1, double y, String color, String tip) {
      double top = py(y);
      body.append("<rect class=\"bar\" x=\"").append(f(px(x0) + 0.5)).append("\" y=\"").append(f(top))
          .append("\" width=\"").append(f(Math.max(0, px(x1) - px(x0) - 1))).append("\" height=\"")
          .append(f(py(0) - top)).append("\" fill=\"").append(color).append("\"><title>").append(esc(tip))
          .append("</title></rect>");
    }

    String svg() {
      StringBuilder s = new StringBuilder();
      s.append(svgOpen(id, W, H)).append(title(title));
      double x0 = px(xMin);
      double x1 = px(xMax);
      double y0 = py(0);
      double y1 = py(yMax);
      s.append("<rect x=\"").append(f(x0)).append("\" y=\"").append(f(y1)).append("\" width=\"").append(f(x1 - x0))
          .append("\" height=\"").append(f(y0 - y1)).append("\" fill=\"#fcfcfc\" stroke=\"#888\"/>");
      for (int i = 0; i <= 4; i++) {
        double xv = xMin + (xMax - xMin) * i / 4;
        double yv = yMax * i / 4;
        s.append("<line x1=\"").append(f(px(xv))).append("\" y1=\"").append(f(y0)).append("\" x2=\"")
            .append(f(px(xv))).append("\" y2=\"").append(f(y0 + 4)).append("\" stroke=\"#888\"/>")
            .append("<text x=\"").append(f(px(xv))).append("\" y=\"").append(f(y0 + 16))
            .append("\" text-anchor=\"middle\">").append(tick(xv)).append("</text>");
        s.append("<line x1=\"").append(f(x0 - 4)).append("\" y1=\"").append(f(py(yv))).append("\" x2=\"")
            .append(f(x0)).append("\" y2=\"").append(f(py(yv))).append("\" stroke=\"#888\"/>")
            .append("<text x=\"").append(f(x0 - 6)).append("\" y=\"").append(f(py(yv) + 4))
            .append("\" text-anchor=\"end\">").append(tick(yv)).append("</text>");
      }
      s.append("<text x=\"").append(f((x0 + x1) / 2)).append("\" y=\"").append(H - 8)
          .append("\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>");
      s.append("<text transform=\"translate(14,").append(f((y0 + y1) / 2))
          .append(") rotate(-90)\" text-anchor=\"middle\">").append(esc(yLabel)).append("</text>");
      s.append(body).append("</svg>");
      return s.toString();
    }

    private static String tick(double v) {
      if (v == Math.rint(v) && Math.abs(v) < 1e6) {
        return Long.toString((long) v);
      }
      return Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
  }
}
