package dev.parapet.guard.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "spark", sortOptions = false,
    header = "Moderate a data set (Parquet or JSON Lines) with Apache Spark.",
    description = {"Runs guard-spark's job (dev.parapet.guard.spark.ModerationJob) through your Spark's "
        + "spark-submit, on local[*] unless --master says otherwise, and returns its exit status. The output folder "
        + "gets the input's columns plus parapet_decision, parapet_unsafe, parapet_categories, parapet_scores, "
        + "parapet_model and parapet_error; per-category counts go to OUTPUT.counts.json and a summary is printed.",
        "",
        "Needs Apache Spark 4.x (SPARK_HOME, --spark-home, or spark-submit on PATH) and the job jar "
            + "(parapet-spark-job.jar beside the parapet jar, or --job-jar). Paths are the job's: on a cluster, "
            + "use storage every executor can read (hdfs://, s3a://)."})
final class SparkCommand implements Callable<Integer> {
  @ParentCommand ParapetCommand parent;

  @Option(names = "--input", required = true, paramLabel = "PATH", description = "Input file or folder.")
  String input;

  @Option(names = "--output", required = true, paramLabel = "PATH", description = "Output folder (must not exist "
      + "unless --overwrite).")
  String output;

  @Option(names = "--text-col", paramLabel = "COL", description = "The prompt column.")
  String textCol;

  @Option(names = "--response-col", paramLabel = "COL",
      description = "A response column, judged in the context of --text-col's prompt.")
  String responseCol;

  @Option(names = "--conversation-col", paramLabel = "COL",
      description = "Instead of --text-col: an array of structs (role, content|text); the last turn is judged.")
  String conversationCol;

  @Mixin PolicyOptions judged;

  @Option(names = "--model", paramLabel = "MODEL",
      description = "default (embedded), a model folder on every executor, or "
          + "remote:http://HOST:PORT?model=SERVED_NAME&tokenizer=DIR[&token-file=FILE] (vLLM). Default: the job's (default).")
  String model;

  @Option(names = "--batch-size", paramLabel = "N", description = "Rows per checkAll call (job default 32).")
  Integer batchSize;

  @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads per executor model.")
  Integer threads;

  @Option(names = "--max-input-chars", paramLabel = "N", description = "Longest turn read whole.")
  Integer maxInputChars;

  @Option(names = "--timeout-seconds", paramLabel = "N",
      description = "Per-check budget on the executors (default 30 s); over it a row fails closed as TIMEOUT.")
  Integer timeoutSeconds;

  @Option(names = "--input-format", paramLabel = "parquet|jsonl", description = "Default: from the extension.")
  String inputFormat;

  @Option(names = "--output-format", paramLabel = "parquet|jsonl", description = "Default: from the extension.")
  String outputFormat;

  @Option(names = "--overwrite", description = "Replace an existing output folder.")
  boolean overwrite;

  @Option(names = "--master", paramLabel = "URL", defaultValue = "local[*]",
      description = "Spark master (yarn, k8s://..., spark://..., local[N]). Default: ${DEFAULT-VALUE}.")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, passed to spark-submit (repeatable).")
  List<String> conf = new ArrayList<>();

  @Option(names = "--driver-memory", paramLabel = "SIZE", description = "spark-submit --driver-memory, e.g. 4g.")
  String driverMemory;

  @Option(names = "--spark-home", paramLabel = "DIR", description = "The Spark installation (default: SPARK_HOME, "
      + "else spark-submit on PATH).")
  Path sparkHome;

  @Option(names = "--job-jar", paramLabel = "FILE",
      description = "guard-spark's parapet-spark-job.jar (default: beside the parapet jar).")
  Path jobJar;

  @Override
  public Integer call() throws Exception {
    List<String> cmd = command(System.getenv(), SparkSubmit.cliLocation());
    return SparkSubmit.run(cmd, Optional.ofNullable(sparkHome), parent.out(), parent.err());
  }

  /** The spark-submit command line (checks that Spark and the job jar are there). */
  List<String> command(java.util.Map<String, String> env, Optional<Path> cliLocation) {
    if (textCol == null && conversationCol == null) {
      throw new IllegalArgumentException("name the text column with --text-col (or --conversation-col)");
    }
    Path jar = SparkSubmit.locateJobJar(Optional.ofNullable(jobJar), cliLocation);
    Path submit = SparkSubmit.locateSparkSubmit(Optional.ofNullable(sparkHome), env);
    List<String> spark = new ArrayList<>();
    if (driverMemory != null) {
      spark.add("--driver-memory");
      spark.add(driverMemory);
    }
    for (String c : conf) {
      if (c.indexOf('=') <= 0) {
        throw new IllegalArgumentException("--conf '" + c + "': expected KEY=VALUE, e.g. spark.executor.memory=4g");
      }
      spark.add("--conf");
      spark.add(c);
    }
    return SparkSubmit.command(submit, master, spark, jar, jobArgs());
  }

  /** The job's own options: only those given, so the job's defaults stay in one place. */
  List<String> jobArgs() {
    List<String> a = new ArrayList<>(List.of("--input", input, "--output", output));
    add(a, "--text-col", textCol);
    add(a, "--response-col", responseCol);
    add(a, "--conversation-col", conversationCol);
    add(a, "--policy", judged.policy);
    add(a, "--taxonomy", judged.taxonomy);
    add(a, "--model", model);
    add(a, "--batch-size", batchSize);
    add(a, "--threads", threads);
    add(a, "--max-input-chars", maxInputChars);
    add(a, "--timeout-seconds", timeoutSeconds);
    add(a, "--input-format", inputFormat);
    add(a, "--output-format", outputFormat);
    if (overwrite) {
      a.add("--overwrite");
    }
    return a;
  }

  private static void add(List<String> a, String option, Object value) {
    if (value != null) {
      a.add(option);
      a.add(value.toString());
    }
  }
}
