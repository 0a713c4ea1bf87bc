package dev.parapet.guard.cli;

import dev.parapet.guard.eval.EvalDataset;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The labelled data set and run options shared by eval and eval-stream (a picocli mixin). */
final class DataOptions {
  @Option(names = "--data", required = true, paramLabel = "FILE.jsonl",
      description = "The labelled data set (eval-stream replays the records that have a response).")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "The folder to write the metrics (and eval's report) to.")
  Path out;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use only the first N records (0: all).")
  int limit;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
      description = "Records to check in parallel. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--strict", description = "Fail on the first malformed line instead of skipping it.")
  boolean strict;

  @Option(names = "--no-progress", description = "Do not print progress on stderr.")
  boolean noProgress;

  /** Reads {@code --data} (the first {@code --limit} records; {@code --strict}: fail on a malformed line). */
  EvalDataset read() throws IOException {
    return EvalDataset.read(data, limit, strict);
  }
}
