package dev.parapet.guard.cli;

import dev.parapet.guard.eval.SharedDataConverter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "data", header = "Convert published data sets to eval JSONL.",
    description = {"Converts a data set as published (e.g. the copies in ../shared/data) into the JSONL that eval "
        + "and eval-stream read.",
        "  gptfuzz      IN = the gptfuzz folder: question + response pairs with human harm labels",
        "  toxic-spans  IN = tsd_train.csv or tsd_trial.csv: toxic posts as responses, harm_start = first span offset",
        "Rows that cannot be converted are counted and reported on stderr."})
final class DataCommand implements Callable<Integer> {
  @ParentCommand ParapetCommand parent;

  @Parameters(index = "0", paramLabel = "FORMAT", description = "gptfuzz or toxic-spans.")
  String format;

  @Option(names = "--in", required = true, paramLabel = "PATH", description = "The data set's folder or file.")
  Path in;

  @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "The JSONL to write.")
  Path out;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Convert at most N rows (0: all).")
  int limit;

  @Override
  public Integer call() throws Exception {
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    SharedDataConverter.Result r;
    try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      r = SharedDataConverter.convert(format, in, w, limit);
    }
    for (String p : r.problems()) {
      parent.err().println("warning: skipped " + p);
    }
    if (r.skipped() > 0) {
      parent.err().println("warning: skipped " + r.skipped() + " row(s) that could not be converted");
    }
    parent.err().flush();
    parent.out().printf("wrote %d records to %s%n", r.written(), out);
    parent.out().flush();
    return ExitCodes.OK;
  }
}
