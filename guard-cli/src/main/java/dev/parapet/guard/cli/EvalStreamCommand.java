package dev.parapet.guard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.eval.EvalDataset;
import dev.parapet.guard.eval.EvalRecord;
import dev.parapet.guard.eval.Progress;
import dev.parapet.guard.eval.RunInfo;
import dev.parapet.guard.eval.StreamEvaluator;
import dev.parapet.guard.eval.StreamOutcome;
import dev.parapet.guard.stream.StreamOptions;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "eval-stream", sortOptions = false, header = "Evaluate streaming quality on labelled responses.",
    description = "Replays each labelled response token by token (whitespace-preserving word pieces) through a "
        + "streaming session. Reports streamed-verdict F1 against the same guard's full-text F1, exposure (share of "
        + "an unsafe response released before STOP), delay after harm_start (optional char-offset field), and the "
        + "share stopped within 32 tokens. Records without a response are skipped (counted). Writes "
        + "DIR/stream-metrics.json.")
final class EvalStreamCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand ParapetCommand parent;

  @Mixin TokensPerStepOption steps;

  @Mixin DataOptions run;

  @Mixin ModelOptions model;

  @Mixin StreamSettings streamSettings;

  @Override
  public Integer call() throws Exception {
    int tokensPerStep = steps.value();
    if (run.threads < 1 || run.limit < 0) {
      throw new IllegalArgumentException("--threads must be >= 1 and --limit >= 0");
    }
    EvalDataset dataset = run.read();
    EvalCommand.reportMalformed(parent.err(), dataset.malformed());
    long withResponse = dataset.records().stream().filter(r -> r.response().isPresent()).count();
    if (withResponse == 0) {
      throw new IllegalArgumentException(run.data + " has no records with a \"response\"; streaming evaluation "
          + "replays responses (use `parapet eval` for prompts)");
    }
    Files.createDirectories(run.out);
    StreamOptions streamOptions = streamSettings.toOptions();
    try (Engine engine = parent.open(model.toEngineOptions())) {
      Progress progress = new Progress(parent.err(), "eval-stream", withResponse, !run.noProgress,
          parent.interactive());
      List<StreamEvaluator.Row> rows = StreamEvaluator.run(dataset.records(), engine::check,
          (r, pieces) -> replay(engine, streamOptions, r, pieces), tokensPerStep, run.threads, progress);
      RunInfo info = new RunInfo(engine.modelId(), engine.taxonomy().name(), engine.taxonomy().hash(),
          engine.policySpec(), run.data.toString(), run.threads);
      ObjectNode json = StreamEvaluator.toJson(rows, info, tokensPerStep,
          (int) (dataset.records().size() - withResponse), dataset.malformed());
      json.put("streamOptions", streamOptions.toString());
      Path file = run.out.resolve("stream-metrics.json");
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n",
          StandardCharsets.UTF_8);
      PrintWriter o = parent.out();
      o.printf(Locale.ROOT, "n=%d responses  full-text F1=%s  streamed F1=%s  ratio=%s%n", rows.size(),
          EvalCommand.f(json.path("fullText").path("f1").asDouble(Double.NaN)),
          EvalCommand.f(json.path("streamed").path("f1").asDouble(Double.NaN)),
          EvalCommand.f(json.path("f1Ratio").asDouble(Double.NaN)));
      o.printf(Locale.ROOT, "unsafe responses: median exposure %s of tokens; stopped within %d tokens: %s%n",
          EvalCommand.f(json.path("exposure").path("medianFraction").asDouble(Double.NaN)), StreamEvaluator.WITHIN,
          EvalCommand.f(json.path("stoppedWithin32Tokens").path("ofHarmStart").asDouble(Double.NaN)));
      o.printf("wrote %s%n", file);
      o.flush();
      return ExitCodes.OK;
    }
  }

  /**
   * Replays pieces through an engine stream; what is released is whatever the session releases. A check is
   * counted whenever a step carries a verdict other than the previous step's (each check makes a new Verdict).
   */
  static StreamOutcome replay(Engine engine, StreamOptions options, EvalRecord r, List<String> pieces) {
    try (Engine.Stream s = engine.openStream(dev.parapet.guard.Conversation.ofPrompt(r.prompt()), options)) {
      long released = 0;
      int checks = 0;
      Verdict last = null;
      for (int i = 0; i < pieces.size(); i++) {
        Engine.Step step = s.onToken(pieces.get(i));
        released += step.released().length();
        Verdict v = step.verdict().orElse(null);
        if (v != null && v != last) {
          checks++;
          last = v;
        }
        if (step.stop()) {
          Decision d = step.verdict().map(Verdict::decision).orElse(Decision.BLOCK);
          double p = step.verdict().map(Verdict::unsafeScore).orElse(Double.NaN);
          return new StreamOutcome(i + 1, true, i + 1, released, d == Decision.ALLOW ? Decision.BLOCK : d, p, checks);
        }
      }
      Engine.Step end = s.finish();
      released += end.released().length();
      Verdict v = end.verdict().orElse(null);
      if (v != null && v != last) {
        checks++;
      }
      Decision d = end.verdict().map(Verdict::decision).orElse(Decision.ALLOW);
      double p = end.verdict().map(Verdict::unsafeScore).orElse(Double.NaN);
      if (end.stop()) {
        return new StreamOutcome(pieces.size(), true, Math.max(1, pieces.size()), released,
            d == Decision.ALLOW ? Decision.BLOCK : d, p, checks);
      }
      return new StreamOutcome(pieces.size(), false, 0, released, d, p, checks);
    }
  }
}
