package dev.parapet.guard.spark;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Benchmark, not a test (run by {@code scripts/spark-bench.sh}): throughput of the spark-submit job
 * ({@link ModerationJob}, Parquet in and out, summary included) on {@code local[2]} against the same rows through
 * in-process {@code Guard.checkAll} on one JVM, as a ratio from one run; and the cost of Guard creation per
 * executor. The embedded default model, the same spec (policy, batch size, threads) on both sides.
 *
 * <p>Rows: the first 60 % from {@code davidson-hate-speech} (tweets: hate, offensive, neither) and the rest from
 * {@code cooking-stackexchange-titles} (benign questions), in file order; a disjoint tail of both warms up each
 * side first (JIT, ONNX Runtime), so each Guard's result cache holds none of the measured rows.
 *
 * <p>Arguments: {@code DATA_DIR [ROWS (20000)] [OUT_DIR]}. A missing data folder prints why and exits 0.
 */
public final class SparkThroughputBench {
  private static final int WARMUP = 400;

  private SparkThroughputBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: SparkThroughputBench DATA_DIR [ROWS] [OUT_DIR]");
      System.exit(2);
    }
    Path data = Path.of(args[0]);
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    Path out = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("parapet-spark-bench");
    Path tweets = data.resolve("davidson-hate-speech/data/labeled_data.csv");
    Path titles = data.resolve("cooking-stackexchange-titles/fasttext/data/cooking.stackexchange.txt");
    if (!Files.isRegularFile(tweets) || !Files.isRegularFile(titles)) {
      System.out.println("spark-bench: skipped, " + data + " lacks davidson-hate-speech or "
          + "cooking-stackexchange-titles (pass the shared data folder)");
      return;
    }
    SparkSession spark = SparkSession.builder().master("local[2]").appName("parapet-spark-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      int fromTweets = n * 3 / 5;
      int fromTitles = n - fromTweets;
      List<String> a = spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
          .csv(tweets.toString()).select("tweet").as(Encoders.STRING()).collectAsList();
      List<String> b = spark.read().text(titles.toString())
          .select(functions.trim(functions.regexp_replace(functions.col("value"), "__label__\\S+", "")))
          .as(Encoders.STRING()).collectAsList();
      if (a.size() < fromTweets + WARMUP || b.size() < fromTitles + WARMUP) {
        throw new IllegalArgumentException("ROWS=" + n + " needs " + (fromTweets + WARMUP) + " tweets and "
            + (fromTitles + WARMUP) + " titles; the data has " + a.size() + " and " + b.size());
      }
      List<String> rows = new ArrayList<>(a.subList(0, fromTweets));
      rows.addAll(b.subList(0, fromTitles));
      List<String> warm = new ArrayList<>(a.subList(a.size() - WARMUP / 2, a.size()));
      warm.addAll(b.subList(b.size() - WARMUP / 2, b.size()));
      int distinct = new HashSet<>(rows).size();
      Path input = write(spark, rows, out.resolve("input.parquet"));
      Path warmInput = write(spark, warm, out.resolve("warmup.parquet"));
      ModerationSpec spec = ModerationSpec.builder().textColumn("prompt").build();

      System.err.println("spark-bench: data ready");
      // Guard creation: the first in this JVM (ONNX Runtime's native library, model read, session) and a second
      long t0 = System.nanoTime();
      ExecutorGuards.create(spec.guardKey()).close();
      double coldMs = ms(t0);
      t0 = System.nanoTime();
      Guard local = ExecutorGuards.create(spec.guardKey());
      double warmCreateMs = ms(t0);

      System.err.println("spark-bench: guards created");
      // in-process: checkAll in batches of the spec's size, one JVM, one calling thread
      checkAll(local, warm, spec.batchSize());
      t0 = System.nanoTime();
      List<Verdict> verdicts = checkAll(local, rows, spec.batchSize());
      double inProcessS = ms(t0) / 1000;
      long unsafeLocal = verdicts.stream().filter(v -> v.decision().name().equals("BLOCK")).count();
      local.close();

      System.err.println("spark-bench: in-process done");
      // the Spark job on local[2]; the warm-up job builds this JVM's executor Guard (timed separately above)
      int before = ExecutorGuards.created();
      job(spark, warmInput, out.resolve("warmup-out.parquet"), spec);
      int createdByWarmup = ExecutorGuards.created() - before;
      int partitions = spark.read().parquet(input.toString()).rdd().getNumPartitions();
      t0 = System.nanoTime();
      String summary = job(spark, input, out.resolve("judged.parquet"), spec);
      double sparkS = ms(t0) / 1000;
      int createdByJob = ExecutorGuards.created() - before - createdByWarmup;
      long unsafeSpark = spark.read().parquet(out.resolve("judged.parquet").toString())
          .filter(functions.col(ResultColumns.DECISION).equalTo("BLOCK")).count();

      System.out.printf(Locale.ROOT, "rows %d (%d davidson-hate-speech tweets + %d cooking-stackexchange-titles; "
          + "%d distinct), batch %d, default model, %d input partitions%n", n, fromTweets, fromTitles, distinct,
          spec.batchSize(), partitions);
      System.out.printf(Locale.ROOT, "in-process checkAll: %.1f s, %.0f rows/s (BLOCK %d)%n", inProcessS,
          n / inProcessS, unsafeLocal);
      System.out.printf(Locale.ROOT, "spark job local[2]:  %.1f s, %.0f rows/s (BLOCK %d)%n", sparkS, n / sparkS,
          unsafeSpark);
      System.out.printf(Locale.ROOT, "ratio spark/in-process throughput: %.2fx%n", inProcessS / sparkS);
      System.out.printf(Locale.ROOT, "guard creation: first in JVM %.0f ms, again %.0f ms (%.2f%% of the job's "
          + "time); Guards built by the warm-up job %d, by the measured job %d%n", coldMs, warmCreateMs,
          100 * warmCreateMs / 1000 / sparkS, createdByWarmup, createdByJob);
      System.out.println("job summary:");
      System.out.print(summary);
    } finally {
      spark.stop();
    }
  }

  private static List<Verdict> checkAll(Guard g, List<String> texts, int batch) {
    List<Verdict> all = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i += batch) {
      all.addAll(g.checkAll(texts.subList(i, Math.min(texts.size(), i + batch)).stream()
          .map(t -> Conversation.ofPrompt(t == null || t.isEmpty() ? " " : t)).toList()));
    }
    return all;
  }

  private static Path write(SparkSession spark, List<String> texts, Path to) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(org.apache.spark.sql.RowFactory.create(i, texts.get(i) == null || texts.get(i).isEmpty() ? " "
          : texts.get(i)));
    }
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
        .add("id", org.apache.spark.sql.types.DataTypes.IntegerType, false)
        .add("prompt", org.apache.spark.sql.types.DataTypes.StringType, false);
    // four files: the job reads them as separate splits, so both local[2] cores get work
    spark.createDataFrame(rows, schema).repartition(4).write().mode("overwrite").parquet(to.toString());
    return to;
  }

  private static String job(SparkSession spark, Path in, Path outDir, ModerationSpec spec) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int rc = ModerationJob.run(new String[] {"--input", in.toString(), "--output", outDir.toString(), "--text-col",
        "prompt", "--batch-size", Integer.toString(spec.batchSize()), "--overwrite"},
        new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
    if (rc != 0) {
      throw new IllegalStateException("job failed (" + rc + "): " + e.toString(StandardCharsets.UTF_8));
    }
    return o.toString(StandardCharsets.UTF_8);
  }

  private static double ms(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }
}
