package dev.parapet.guard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.eval.TokenSplitter;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "stream", sortOptions = false, header = "Replay a response through a streaming session.",
    description = {"Feeds the response token by token (whitespace-preserving word pieces) to a streaming session "
        + "and shows what is released, where the stream stops and why.",
        "",
        "Exit status: 0 the response completed, 1 the stream was stopped, 2 usage or input error."})
final class StreamCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand ParapetCommand parent;

  @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The user's prompt.")
  String prompt;

  @Parameters(index = "0", arity = "0..1", paramLabel = "RESPONSE",
      description = "The response to replay ('-' or absent: read stdin, unless --file).")
  String response;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the response from FILE (UTF-8).")
  Path file;

  @Mixin TokensPerStepOption steps;

  @Option(names = {"-v", "--verbose"}, description = "Show every step, not only those that release text or stop.")
  boolean verbose;

  @Option(names = "--json", description = "Print one JSON object per step, then a summary object.")
  boolean json;

  @Mixin StreamSettings streamSettings;

  @Mixin ModelOptions model;

  @Override
  public Integer call() throws Exception {
    String text = readResponse();
    List<String> pieces = TokenSplitter.steps(text, steps.value());
    StreamOptions options = streamSettings.toOptions();
    try (Engine engine = parent.open(model.toEngineOptions())) {
      PrintWriter out = parent.out();
      Replay r = replay(engine, options, prompt, pieces, out, json, verbose);
      if (json) {
        ObjectNode o = JSON.createObjectNode();
        o.put("summary", true);
        o.put("stopped", r.stopped);
        o.put("steps", pieces.size());
        o.put("stopStep", r.stopStep);
        o.put("responseChars", text.length());
        o.put("releasedChars", r.released.length());
        o.put("released", r.released.toString());
        r.verdict.ifPresent(v -> o.set("verdict", VerdictTable.json(v)));
        out.println(JSON.writeValueAsString(o));
      } else {
        out.printf("model %s, taxonomy %s, policy %s, %s%n", engine.modelId(), engine.taxonomy().name(),
            engine.policySpec(), options);
      }
      out.flush();
      return r.stopped ? ExitCodes.UNSAFE : ExitCodes.OK;
    }
  }

  /** The result of replaying one response. */
  static final class Replay {
    boolean stopped;
    int stopStep;
    final StringBuilder released = new StringBuilder();
    String withheld = "";
    java.util.Optional<Verdict> verdict = java.util.Optional.empty();
  }

  /** Replays and prints; shared with the demo. */
  static Replay replay(Engine engine, StreamOptions options, String prompt, List<String> pieces, PrintWriter out,
      boolean json, boolean verbose) throws IOException {
    Replay r = new Replay();
    Taxonomy taxonomy = engine.taxonomy();
    try (Engine.Stream s = engine.openStream(Conversation.ofPrompt(prompt), options)) {
      if (!json) {
        out.println("  step  decision  released so far / this step");
      }
      int i = 0;
      for (; i < pieces.size(); i++) {
        Engine.Step step = s.onToken(pieces.get(i));
        r.released.append(step.released());
        if (json) {
          stepJson(out, i + 1, pieces.get(i), step);
        } else if (verbose || step.stop() || !step.released().isEmpty()) {
          out.printf(Locale.ROOT, "  %4d  %-8s  %s%n", i + 1, step.stop() ? "STOP" : "CONTINUE",
              step.stop() ? "(nothing more is released)"
                  : "+" + quote(step.released(), 60) + "  [" + r.released.length() + " chars out]");
        }
        if (step.stop()) {
          r.stopped = true;
          r.stopStep = i + 1;
          r.withheld = step.withheld();
          r.verdict = step.verdict();
          break;
        }
      }
      if (!r.stopped) {
        Engine.Step end = s.finish();
        r.released.append(end.released());
        r.verdict = end.verdict();
        if (json) {
          stepJson(out, 0, "", end);
        } else {
          out.printf(Locale.ROOT, "   end  %-8s  %s%n", end.stop() ? "STOP" : "COMPLETE",
              end.stop() ? "(the final check blocked it)" : "+" + quote(end.released(), 60));
        }
        if (end.stop()) {
          r.stopped = true;
          r.stopStep = pieces.size();
          r.withheld = end.withheld();
        }
      }
    }
    if (!json) {
      int total = pieces.size();
      String why = r.verdict.map(v -> v.decision() + " " + VerdictTable.topCategories(v, taxonomy) + ", P(unsafe) "
          + VerdictTable.score(v.unsafeScore())).orElse("no check ran");
      if (r.stopped) {
        out.printf(Locale.ROOT, "STOPPED at step %d of %d: %s%n", r.stopStep, total, why);
        out.printf(Locale.ROOT, "  the user saw %d chars: %s%n", r.released.length(), quote(r.released.toString(), 120));
        out.printf(Locale.ROOT, "  withheld and never shown: %d chars%n", r.withheld.length());
      } else {
        out.printf(Locale.ROOT, "COMPLETED after %d steps: %s; released all %d chars%n", total, why,
            r.released.length());
      }
    }
    return r;
  }

  private static void stepJson(PrintWriter out, int step, String piece, Engine.Step s) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("step", step);
    o.put("piece", piece);
    o.put("decision", s.stop() ? "STOP" : step == 0 ? "COMPLETE" : "CONTINUE");
    o.put("released", s.released());
    s.verdict().ifPresent(v -> o.put("unsafe", v.unsafeScore()));
    out.println(JSON.writeValueAsString(o));
  }

  static String quote(String s, int max) {
    return "\"" + VerdictTable.oneLine(s, max) + "\"";
  }

  private String readResponse() throws IOException {
    if (file != null && response != null) {
      throw new IllegalArgumentException("give either RESPONSE or --file, not both");
    }
    steps.value(); // checked before the response is read
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(file.toString(), null, "no such response file; check the --file path");
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    }
    if (response == null || response.equals("-")) {
      return new String(parent.in().readAllBytes(), StandardCharsets.UTF_8);
    }
    return response;
  }
}
