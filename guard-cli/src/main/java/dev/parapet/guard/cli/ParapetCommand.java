package dev.parapet.guard.cli;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "parapet", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
    versionProvider = ParapetCommand.Version.class,
    description = "Local guardrails for LLM chat applications: classify prompts and responses against a hazard "
        + "taxonomy, moderate streamed responses, and evaluate guard models on labelled data.",
    subcommands = {DemoCommand.class, ClassifyCommand.class, StreamCommand.class, EvalCommand.class,
        EvalStreamCommand.class, ModelCommand.class, DataCommand.class, ServeCommand.class, SparkCommand.class,
        CommandLine.HelpCommand.class},
    footerHeading = "%nExit status:%n",
    footer = {"  0  success (classify: every input allowed)",
        "  1  classify: at least one input was flagged or blocked",
        "  2  usage or input error (the message says how to fix it)",
        "  3  internal error (a bug; please report it with the stack trace)",
        "", "Run 'parapet demo' for a tour with the embedded default model."})
final class ParapetCommand implements Runnable {
  private final Engine.Factory factory;
  private final InputStream in;

  @Spec CommandSpec spec;

  ParapetCommand(Engine.Factory factory, InputStream in) {
    this.factory = requireNonNull(factory, "factory");
    this.in = requireNonNull(in, "in");
  }

  @Override
  public void run() {
    spec.commandLine().usage(out());
    out().flush();
  }

  /** The factory's export check of a model folder (see {@link Engine.Factory#checkExport}). */
  java.util.List<String> checkExport(java.nio.file.Path dir, String family) {
    return factory.checkExport(dir, family);
  }

  Engine open(EngineOptions options) {
    return factory.open(options);
  }

  InputStream in() {
    return in;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Whether a person is watching (a console): progress is then redrawn in place. */
  boolean interactive() {
    return System.console() != null;
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ParapetCommand.class.getPackage().getImplementationVersion();
      return new String[] {"parapet " + (v == null ? "(development build)" : v)};
    }
  }
}
