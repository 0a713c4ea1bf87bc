package dev.parapet.guard.cli;

import dev.parapet.guard.GuardException;
import dev.parapet.guard.eval.MalformedDataException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/** Entry point of the {@code parapet} command line. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Before anything loads DJL: no telemetry, no network.
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("OPT_OUT_TRACKING", "true");
    setIfAbsent("DJL_OFFLINE", "true");
    // DJL brings slf4j-api without a binding; its "no providers" notice is noise on a CLI's stderr.
    setIfAbsent("slf4j.internal.verbosity", "ERROR");
    System.exit(commandLine(Engine.models(), System.in).execute(args));
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** The command line with a given engine factory and stdin; tests set its out/err writers. */
  public static CommandLine commandLine(Engine.Factory factory, InputStream stdin) {
    CommandLine cl = new CommandLine(new ParapetCommand(factory, stdin));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      String cmd = commandLine.getCommandSpec().qualifiedName();
      if (isInputError(ex)) {
        commandLine.getErr().println(cmd + ": error: " + message(ex));
        commandLine.getErr().flush();
        return ExitCodes.USAGE;
      }
      commandLine.getErr().println(cmd + ": internal error: " + ex);
      ex.printStackTrace(commandLine.getErr());
      commandLine.getErr().flush();
      return ExitCodes.INTERNAL;
    });
    return cl;
  }

  static boolean isInputError(Throwable ex) {
    return ex instanceof IllegalArgumentException || ex instanceof IOException || ex instanceof UncheckedIOException
        || ex instanceof GuardException || ex instanceof MalformedDataException;
  }

  static String message(Throwable ex) {
    if (ex instanceof NoSuchFileException nsf) {
      return nsf.getFile() + ": " + (nsf.getReason() == null ? "no such file" : nsf.getReason());
    }
    if (ex instanceof UncheckedIOException u && u.getCause() != null) {
      return message(u.getCause());
    }
    String m = ex.getMessage();
    if (ex instanceof IOException && !(ex instanceof NoSuchFileException)) {
      return ex.getClass().getSimpleName() + ": " + m;
    }
    return m == null ? ex.toString() : m;
  }
}
