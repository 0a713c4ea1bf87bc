package dev.parapet.guard.cli;

import dev.parapet.guard.eval.KeywordClassifier;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs the CLI in-process with captured output. */
final class CliRunner {
  /** What a run produced. */
  record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out ---\n" + out + "\n--- err ---\n" + err;
    }
  }

  /** Options every fake run saw, for assertions. */
  final List<EngineOptions> seen = new ArrayList<>();
  private final Engine.Factory factory;

  CliRunner(Engine.Factory factory) {
    this.factory = factory;
  }

  /** A runner over the keyword fake classifier, wrapped in a real Guard. */
  static CliRunner fake() {
    CliRunner[] self = new CliRunner[1];
    self[0] = new CliRunner(opts -> {
      self[0].seen.add(opts);
      return Engine.create(new KeywordClassifier(), opts);
    });
    return self[0];
  }

  Result runWithStdin(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(factory, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  Result run(String... args) {
    return runWithStdin("", args);
  }
}
