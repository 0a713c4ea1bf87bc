package dev.parapet.guard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.eval.EvalDataset;
import dev.parapet.guard.eval.EvalSummary;
import dev.parapet.guard.eval.Evaluator;
import dev.parapet.guard.eval.HtmlReport;
import dev.parapet.guard.eval.MalformedLine;
import dev.parapet.guard.eval.Prediction;
import dev.parapet.guard.eval.Progress;
import dev.parapet.guard.eval.RunInfo;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.io.IOException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.eval.PredictionLog;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

@Command(name = "eval", sortOptions = false, header = "Evaluate on a labelled JSONL data set (metrics + HTML report).",
    description = {"Writes DIR/metrics.json (AUPRC, ROC-AUC, precision/recall/F1/FPR at the policy, per-source and "
        + "per-category numbers, latency percentiles) and DIR/report.html (self-contained: PR, ROC, calibration, "
        + "per-category and latency plots, worst errors).",
        "",
        "Each line: {\"id\": ..., \"prompt\": ..., \"response\": ... | null, \"label\": \"safe\" | \"unsafe\", "
        + "\"categories\": [\"S1\"], \"source\": ...}. The label judges the response when there is one, else the "
        + "prompt. Malformed lines are reported with their line numbers and skipped (counted in metrics.json), or "
        + "fail the run with --strict. Duplicate ids and category codes the taxonomy does not know are warned about "
        + "with their line numbers (the records are kept).",
        "",
        "Each scored record is appended to DIR/predictions.jsonl as it completes; a run stopped by SIGTERM or Ctrl-C "
        + "also writes DIR/metrics.partial.json over the records scored so far."})
final class EvalCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand ParapetCommand parent;

  @Mixin DataOptions run;

  @Mixin ModelOptions model;

  @Override
  public Integer call() throws Exception {
    if (run.threads < 1) {
      throw new IllegalArgumentException("--threads must be >= 1, was " + run.threads);
    }
    if (run.limit < 0) {
      throw new IllegalArgumentException("--limit must be >= 0, was " + run.limit);
    }
    PrintWriter err = parent.err();
    EvalDataset dataset = run.read();
    reportMalformed(err, dataset.malformed());
    for (MalformedLine w : dataset.warnings()) {
      err.println("warning: " + run.data + " " + w);
    }
    if (dataset.records().isEmpty()) {
      throw new IllegalArgumentException(run.data + " holds no valid records; see the format in `parapet eval --help`");
    }
    Files.createDirectories(run.out);
    try (Engine engine = parent.open(model.toEngineOptions());
        PredictionLog log = PredictionLog.open(run.out.resolve("predictions.jsonl"))) {
      for (MalformedLine w : dataset.unknownCategories(c -> engine.taxonomy().category(c).isPresent())) {
        err.println("warning: " + run.data + " " + w + " (taxonomy " + engine.taxonomy().name() + ")");
      }
      err.flush();
      RunInfo info = new RunInfo(engine.modelId(), engine.taxonomy().name(), engine.taxonomy().hash(),
          engine.policySpec(), run.data.toString(), run.threads);
      Thread partial = new Thread(() -> writePartial(log, info, dataset), "parapet-eval-partial");
      Runtime.getRuntime().addShutdownHook(partial);
      Progress progress = new Progress(parent.err(), "eval", dataset.records().size(), !run.noProgress,
          parent.interactive());
      List<Prediction> predictions;
      try {
        predictions = Evaluator.run(dataset.records(), engine::check, run.threads, progress, log::write);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(partial);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs and writes the partial report
        }
      }
      EvalSummary summary = EvalSummary.of(info, predictions, dataset.malformed());
      Path metrics = run.out.resolve("metrics.json");
      Path report = run.out.resolve("report.html");
      Files.writeString(metrics, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary.toJson()) + "\n",
          StandardCharsets.UTF_8);
      Files.writeString(report, HtmlReport.render(summary), StandardCharsets.UTF_8);
      PrintWriter o = parent.out();
      o.printf(Locale.ROOT, "n=%d (scored %d, unsafe %d, safe %d)  AUPRC=%s  ROC-AUC=%s%n", predictions.size(),
          summary.scoredCount(), summary.positives(), summary.negatives(), f(summary.auprc()), f(summary.rocAuc()));
      o.printf(Locale.ROOT, "at policy %s: precision=%s recall=%s F1=%s FPR=%s%n", engine.policySpec(),
          f(summary.atPolicy().precision()), f(summary.atPolicy().recall()), f(summary.atPolicy().f1()),
          f(summary.atPolicy().fpr()));
      o.printf(Locale.ROOT, "latency ms: p50=%s p95=%s p99=%s%n", f(summary.latencyPercentile(50)),
          f(summary.latencyPercentile(95)), f(summary.latencyPercentile(99)));
      if (!dataset.malformed().isEmpty()) {
        o.printf("skipped %d malformed line(s) (listed in metrics.json)%n", dataset.malformed().size());
      }
      o.printf("wrote %s and %s%n", metrics, report);
      o.flush();
      return ExitCodes.OK;
    }
  }

  /** On SIGTERM/Ctrl-C mid-run: metrics over what was scored, so hours of scoring are not lost. */
  private void writePartial(PredictionLog log, RunInfo info, EvalDataset dataset) {
    try {
      List<Prediction> done = log.snapshot();
      log.close();
      ObjectNode json = EvalSummary.of(info, done, dataset.malformed()).toJson();
      json.put("partial", true);
      json.put("recordsTotal", dataset.records().size());
      json.put("recordsScored", done.size());
      Files.writeString(run.out.resolve("metrics.partial.json"),
          JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n", StandardCharsets.UTF_8);
      System.err.println("parapet eval: stopped after " + done.size() + " of " + dataset.records().size()
          + " records; wrote " + run.out.resolve("metrics.partial.json") + " and " + log.file());
    } catch (IOException | RuntimeException e) {
      System.err.println("parapet eval: stopped; could not write the partial report: " + e);
    }
  }

  static void reportMalformed(PrintWriter err, List<MalformedLine> malformed) {
    int shown = 0;
    for (MalformedLine m : malformed) {
      if (shown++ == 20) {
        err.println("warning: ... and " + (malformed.size() - 20) + " more malformed lines");
        break;
      }
      err.println("warning: skipping malformed " + m);
    }
    if (!malformed.isEmpty()) {
      err.println("warning: skipped " + malformed.size() + " malformed line(s); use --strict to fail instead");
    }
    err.flush();
  }

  static String f(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
  }
}
