package dev.parapet.guard.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The one local[2] Spark session all tests of this JVM share (small: no UI, two shuffle partitions). */
final class SparkTests {
  private SparkTests() {}

  static synchronized SparkSession spark() {
    return SparkSession.builder().master("local[2]").appName("parapet-spark-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  /** A two-column (id, prompt) data set in {@code partitions} partitions, in order. */
  static Dataset<Row> prompts(List<String> texts, int partitions) {
    StructType schema = new StructType().add("id", DataTypes.IntegerType, false).add("prompt", DataTypes.StringType, true);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(RowFactory.create(i, texts.get(i)));
    }
    return spark().createDataFrame(rows, schema).repartitionByRange(partitions, org.apache.spark.sql.functions.col("id"))
        .sortWithinPartitions("id");
  }

  static Map<String, Double> scores(Row r) {
    return r.isNullAt(r.fieldIndex("parapet_scores")) ? null : r.getJavaMap(r.fieldIndex("parapet_scores"));
  }
}
