package dev.parapet.guard.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The {@code spark-submit} entry point: reads Parquet or JSON Lines, moderates it, writes the result in Parquet
 * or JSON Lines, prints a summary and writes per-category counts next to the output ({@code OUTPUT.counts.json}).
 *
 * <pre>
 * spark-submit --class dev.parapet.guard.spark.ModerationJob --master yarn parapet-spark-job.jar \
 *   --input s3a://logs/2026-12/ --output s3a://moderated/2026-12/ --text-col prompt --response-col answer
 * </pre>
 *
 * Exit codes as the {@code parapet} CLI: 0 ok, 2 usage or input error, 3 internal error. Row failures do not fail
 * the job; they are counted in the summary.
 */
public final class ModerationJob {
  static final int OK = 0;
  static final int USAGE = 2;
  static final int INTERNAL = 3;

  private ModerationJob() {}

  public static void main(String[] args) {
    int rc = run(args, System.out, System.err);
    if (rc != OK) {
      System.exit(rc);
    }
  }

  /** Runs the job; uses the active Spark session if there is one (and leaves it running), else makes one. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    JobArgs a;
    try {
      a = JobArgs.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("parapet spark: " + e.getMessage());
      err.println(JobArgs.USAGE);
      return USAGE;
    }
    if (a.help()) {
      out.println(JobArgs.USAGE);
      return OK;
    }
    boolean own = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession.Builder b = SparkSession.builder().appName("parapet-moderate");
    if (a.master() != null) {
      b.master(a.master());
    } else if (own && !new org.apache.spark.SparkConf().contains("spark.master")) {
      b.master("local[*]");
    }
    SparkSession spark = b.getOrCreate();
    try {
      return moderate(spark, a, out);
    } catch (IllegalArgumentException e) {
      err.println("parapet spark: " + e.getMessage());
      return USAGE;
    } catch (Exception e) { // Scala's AnalysisException (a missing input, an existing output) is checked but undeclared
      if (e instanceof org.apache.spark.sql.AnalysisException) {
        err.println("parapet spark: cannot read or write: " + e.getMessage());
        return USAGE;
      }
      err.println("parapet spark: internal error: " + e);
      e.printStackTrace(err);
      return INTERNAL;
    } finally {
      if (own) {
        spark.stop();
      }
    }
  }

  private static int moderate(SparkSession spark, JobArgs a, PrintStream out) throws IOException {
    Dataset<Row> input = a.inputFormat().equals("parquet") ? spark.read().parquet(a.input()) : spark.read().json(a.input());
    Dataset<Row> judged = ParapetSpark.moderate(input, a.spec());
    if (a.outputFormat().equals("parquet")) {
      judged.write().mode(a.overwrite() ? "overwrite" : "errorifexists").parquet(a.output());
    } else {
      // nulls written out: a clean data set still has its parapet_error column when read back (for the summary)
      judged.write().mode(a.overwrite() ? "overwrite" : "errorifexists").option("ignoreNullFields", "false")
          .json(a.output());
    }
    // The summary reads the written output back: the model runs once, and nothing has to be cached in memory.
    Dataset<Row> written = a.outputFormat().equals("parquet") ? spark.read().parquet(a.output()) : spark.read().json(a.output());
    Map<String, Object> counts = counts(written);
    String countsPath = a.output().replaceAll("/+$", "") + ".counts.json";
    writeCounts(spark, countsPath, counts);
    printSummary(out, a, counts, countsPath);
    return OK;
  }

  /** Rows, error rows, rows per decision, and rows and share per triggered category. */
  static Map<String, Object> counts(Dataset<Row> judged) {
    long rows = 0;
    long errors = 0;
    Map<String, Long> decisions = new TreeMap<>();
    for (Row r : judged.groupBy(functions.col(ResultColumns.DECISION),
        functions.col(ResultColumns.ERROR).isNotNull().as("failed")).count().collectAsList()) {
      long n = r.getLong(2);
      rows += n;
      errors += r.getBoolean(1) ? n : 0;
      decisions.merge(r.getString(0), n, Long::sum);
    }
    Map<String, Object> categories = new TreeMap<>();
    List<Row> perCategory = judged.select(functions.explode(functions.col(ResultColumns.CATEGORIES)).as("code"))
        .groupBy("code").count().collectAsList();
    for (Row r : perCategory) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("rows", r.getLong(1));
      c.put("share", rows == 0 ? 0.0 : (double) r.getLong(1) / rows);
      categories.put(r.getString(0), c);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rows", rows);
    m.put("error_rows", errors);
    m.put("decisions", decisions);
    m.put("categories", categories);
    return m;
  }

  private static void writeCounts(SparkSession spark, String path, Map<String, Object> counts) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
    byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(counts);
    try (OutputStream o = fs.create(p, true)) {
      o.write(json);
    }
  }

  @SuppressWarnings("unchecked")
  private static void printSummary(PrintStream out, JobArgs a, Map<String, Object> counts, String countsPath) {
    long rows = (Long) counts.get("rows");
    long errors = (Long) counts.get("error_rows");
    out.printf("parapet spark: %d rows moderated (model %s, policy %s)%n", rows, a.spec().model(), a.spec().policy());
    out.printf("  error rows: %d (%s)%n", errors, percent(errors, rows));
    out.println("  decisions: " + counts.get("decisions"));
    Map<String, Map<String, Object>> categories = (Map<String, Map<String, Object>>) counts.get("categories");
    if (categories.isEmpty()) {
      out.println("  unsafe share per category: none triggered");
    } else {
      out.println("  unsafe share per category:");
      categories.forEach((code, c) -> out.printf("    %-4s %s (%d rows)%n", code,
          percent((Long) c.get("rows"), rows), (Long) c.get("rows")));
    }
    out.println("  output: " + a.output() + " (" + a.outputFormat() + ")");
    out.println("  counts: " + countsPath);
    out.flush();
  }

  private static String percent(long n, long of) {
    return of == 0 ? "0%" : String.format(java.util.Locale.ROOT, "%.2f%%", 100.0 * n / of);
  }
}
