package dev.parapet.guard.spark;

import java.util.Locale;

/** The job's command line, parsed strictly: an unknown or incomplete option is an error that names it. */
record JobArgs(String input, String inputFormat, String output, String outputFormat, ModerationSpec spec,
    String master, boolean overwrite, boolean help) {

  static final String USAGE = String.join("\n",
      "usage: ModerationJob --input PATH --output PATH (--text-col COL [--response-col COL] | --conversation-col COL)",
      "       [--policy SPEC] [--taxonomy NAME|FILE.json] [--model default|DIR] [--batch-size N] [--threads N]",
      "       [--max-input-chars N] [--timeout-seconds N] [--input-format parquet|jsonl] [--output-format parquet|jsonl] [--master URL]",
      "       [--overwrite]",
      "  formats follow the extension (.parquet, .jsonl/.json/.ndjson) unless given; the output is a folder,",
      "  per-category counts go to OUTPUT.counts.json; without --master and spark.master, runs on local[*]");

  static JobArgs parse(String[] args) {
    String input = null;
    String output = null;
    String inFormat = null;
    String outFormat = null;
    String master = null;
    boolean overwrite = false;
    ModerationSpec.Builder spec = ModerationSpec.builder();
    boolean anyColumn = false;
    for (int i = 0; i < args.length; i++) {
      String k = args[i];
      switch (k) {
        case "-h":
        case "--help":
          return new JobArgs(null, null, null, null, null, null, false, true);
        case "--overwrite":
          overwrite = true;
          continue;
        default:
          break;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(k.startsWith("--") ? k + " needs a value" : "unexpected argument '" + k + "'");
      }
      String v = args[++i];
      switch (k) {
        case "--input" -> input = v;
        case "--output" -> output = v;
        case "--input-format" -> inFormat = format(v, k);
        case "--output-format" -> outFormat = format(v, k);
        case "--text-col" -> {
          spec.textColumn(v);
          anyColumn = true;
        }
        case "--response-col" -> spec.responseColumn(v);
        case "--conversation-col" -> {
          spec.conversationColumn(v);
          anyColumn = true;
        }
        case "--policy" -> spec.policy(v);
        case "--taxonomy" -> spec.taxonomy(v);
        case "--model" -> spec.model(v);
        case "--batch-size" -> spec.batchSize(integer(v, k));
        case "--threads" -> spec.threadsPerExecutor(integer(v, k));
        case "--max-input-chars" -> spec.maxInputChars(integer(v, k));
        case "--timeout-seconds" -> spec.timeoutSeconds(integer(v, k));
        case "--master" -> master = v;
        default -> throw new IllegalArgumentException("unknown option '" + k + "'");
      }
    }
    if (input == null || output == null) {
      throw new IllegalArgumentException("--input and --output are required");
    }
    if (!anyColumn) {
      throw new IllegalArgumentException("name the text column with --text-col (or --conversation-col)");
    }
    ModerationSpec built;
    try {
      built = spec.build();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new JobArgs(input, inFormat != null ? inFormat : byExtension(input, "--input-format"), output,
        outFormat != null ? outFormat : byExtension(output, "--output-format"), built, master, overwrite, false);
  }

  private static String format(String v, String option) {
    String f = v.trim().toLowerCase(Locale.ROOT);
    return switch (f) {
      case "parquet" -> "parquet";
      case "jsonl", "json", "ndjson" -> "jsonl";
      default -> throw new IllegalArgumentException(option + " must be parquet or jsonl, was '" + v + "'");
    };
  }

  private static String byExtension(String path, String option) {
    String p = path.replaceAll("/+$", "").toLowerCase(Locale.ROOT);
    if (p.endsWith(".parquet")) {
      return "parquet";
    }
    if (p.endsWith(".jsonl") || p.endsWith(".json") || p.endsWith(".ndjson")) {
      return "jsonl";
    }
    throw new IllegalArgumentException("cannot tell the format of '" + path + "' from its name: pass " + option
        + " parquet|jsonl");
  }

  private static int integer(String v, String option) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be a whole number, was '" + v + "'");
    }
  }
}
