package dev.parapet.guard.spark;

import static java.util.Objects.requireNonNull;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Moderates data sets on Apache Spark with the same taxonomy, policy and model that guard a live app.
 *
 * <pre>{@code
 * Dataset<Row> judged = ParapetSpark.moderate(logs,
 *     ModerationSpec.builder().textColumn("prompt").policy("default=block@0.5").build());
 * judged.filter("parapet_decision != 'ALLOW'").show();
 * }</pre>
 *
 * <p>The result is the input with these columns appended: {@code parapet_decision} (ALLOW, FLAG or BLOCK),
 * {@code parapet_unsafe} (P(unsafe), null when the row was not scored), {@code parapet_categories} (the triggered
 * S-codes), {@code parapet_scores} (code to score, null when not scored), {@code parapet_model} (the model id) and
 * {@code parapet_error} (null unless the row failed). A row that fails (the classifier threw, a null text, a
 * malformed conversation, a model that cannot load on that executor) never fails the job and never passes as
 * safe: its decision is the policy's fail mode (CLOSED: BLOCK by default, {@code onError=open}: ALLOW) and its
 * error column says what happened and which mode decided.
 *
 * <p>Execution: each executor JVM builds one Guard per spec, lazily, shared by its tasks; rows go to
 * {@code checkAll} in batches of {@link ModerationSpec#batchSize()} inside {@code mapPartitions}, in input order.
 * The same input and spec give the same output. Stateless, so thread-safe.
 */
public final class ParapetSpark {
  private ParapetSpark() {}

  /**
   * The input with the Parapet columns appended (lazy, like any transformation).
   *
   * @throws IllegalArgumentException at once, on the driver, for a missing column, a column of the wrong type,
   *     or an input that already has a Parapet column
   */
  public static Dataset<Row> moderate(Dataset<Row> input, ModerationSpec spec) {
    requireNonNull(input, "input");
    requireNonNull(spec, "spec");
    StructType schema = input.schema();
    RowReader reader = RowReader.of(schema, spec);
    StructType out = ResultColumns.appendTo(schema);
    return input.mapPartitions(new PartitionModerator(spec, reader), Encoders.row(out));
  }
}
