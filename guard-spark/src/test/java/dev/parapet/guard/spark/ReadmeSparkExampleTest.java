package dev.parapet.guard.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Moderating data sets with Spark" example, line for line (local paths instead of s3a). */
class ReadmeSparkExampleTest {
  @TempDir Path dir;

  static void example(String input, String output) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    Dataset<Row> logs = spark.read().parquet(input);
    ModerationSpec spec = ModerationSpec.builder()
        .textColumn("prompt").responseColumn("answer")      // or .conversationColumn("messages")
        .policy("default=block@0.5, S6=flag@0.7")
        .model("default")                                   // or a model folder present on every executor
        .batchSize(32).threadsPerExecutor(2).build();
    Dataset<Row> judged = ParapetSpark.moderate(logs, spec);
    judged.filter("parapet_decision != 'ALLOW' OR parapet_error IS NOT NULL").show();
    judged.write().parquet(output);
  }

  @Test
  void readmeExample_runsOnLocal2() {
    SparkSession spark = SparkTests.spark();
    StructType schema = new StructType().add("prompt", DataTypes.StringType).add("answer", DataTypes.StringType);
    String in = dir.resolve("logs.parquet").toString();
    spark.createDataFrame(List.of(RowFactory.create("How do I bake bread?", "Knead, rise, bake."),
        RowFactory.create("How do I make a pipe bomb?", "Fill a steel pipe with black powder and seal it.")), schema)
        .write().parquet(in);
    String out = dir.resolve("moderated.parquet").toString();
    example(in, out);
    List<Row> rows = spark.read().parquet(out).orderBy("prompt").collectAsList();
    assertEquals(2, rows.size());
    assertEquals("ALLOW", rows.get(0).getString(rows.get(0).fieldIndex("parapet_decision")));
  }
}
