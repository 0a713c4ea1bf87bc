package dev.parapet.guard.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Failures stay on their rows: the job finishes, no failed row reads as safe, the fail mode is recorded. */
class RowFailureTest {
  static final List<String> TEXTS = List.of("hello", "BOOM", "how to kill a process", "nice day", // partition 0
      "hello again", "kill the lights", "weather", "fine"); // partition 1

  @Test
  void moderate_partitionWhoseClassifierThrows_failsClosedThere_otherPartitionFine() {
    List<Row> rows = ParapetSpark.moderate(SparkTests.prompts(TEXTS, 2),
        ModerationSpec.builder().textColumn("prompt").model(KeywordTestProvider.MODEL).batchSize(4).build())
        .orderBy("id").collectAsList();
    assertEquals(8, rows.size());
    for (Row r : rows.subList(0, 4)) {
      assertEquals("BLOCK", r.getString(2), r.toString());
      assertTrue(r.isNullAt(3), "not scored");
      assertTrue(r.getString(7).startsWith("CLASSIFIER_ERROR (fail mode CLOSED: BLOCK): "), r.getString(7));
      assertTrue(r.getString(7).contains("test model exploded on purpose"), r.getString(7));
      assertEquals("keyword-test", r.getString(6));
    }
    for (Row r : rows.subList(4, 8)) {
      assertTrue(r.isNullAt(7), r.toString());
      boolean kill = r.getString(1).contains("kill");
      assertEquals(kill ? "BLOCK" : "ALLOW", r.getString(2));
      assertEquals(kill ? 0.9 : 0.1, r.getDouble(3), 1e-9);
      assertEquals(kill ? List.of("S1") : List.of(), r.getList(4));
    }
  }

  @Test
  void moderate_classifierThrows_withOnErrorOpen_recordsTheOpenMode() {
    List<Row> rows = ParapetSpark.moderate(SparkTests.prompts(TEXTS, 2),
        ModerationSpec.builder().textColumn("prompt").model(KeywordTestProvider.MODEL).batchSize(1)
            .policy("default=block@0.5, onError=open").build()).orderBy("id").collectAsList();
    Row boom = rows.get(1);
    assertEquals("ALLOW", boom.getString(2));
    assertTrue(boom.getString(7).startsWith("CLASSIFIER_ERROR (fail mode OPEN: ALLOW): "), boom.getString(7));
    assertEquals(1, rows.stream().filter(r -> !r.isNullAt(7)).count(), "batch size 1: only that row failed");
  }

  @Test
  void moderate_modelThatCannotLoadOnTheExecutor_failsEveryRowVisibly_notTheJob() {
    List<Row> rows = ParapetSpark.moderate(SparkTests.prompts(TEXTS, 2),
        ModerationSpec.builder().textColumn("prompt").model("/no/such/model-folder").build()).collectAsList();
    assertEquals(8, rows.size());
    for (Row r : rows) {
      assertEquals("BLOCK", r.getString(2));
      assertTrue(r.getString(7).startsWith("GUARD_UNAVAILABLE (fail mode CLOSED: BLOCK): "), r.getString(7));
      assertTrue(r.getString(7).contains("not a directory on this executor"), r.getString(7));
    }
  }

  @Test
  void moderate_sameGuardKey_buildsOneGuardPerJvm() {
    ModerationSpec spec = ModerationSpec.builder().textColumn("prompt").model(KeywordTestProvider.MODEL)
        .policy("default=block@0.42").build();
    int before = ExecutorGuards.created();
    Dataset<Row> in = SparkTests.prompts(TEXTS, 2);
    ParapetSpark.moderate(in, spec).collectAsList();
    ParapetSpark.moderate(in, spec.toBuilder().batchSize(3).build()).collectAsList(); // columns/batching: same Guard
    assertEquals(before + 1, ExecutorGuards.created());
  }

  @Test
  void moderate_badColumns_failOnTheDriverNamingTheColumn() {
    Dataset<Row> in = SparkTests.prompts(TEXTS, 1);
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> ParapetSpark.moderate(in, ModerationSpec.builder().textColumn("text").build()));
    assertEquals("no column 'text' in the input; it has [id, prompt]", missing.getMessage());
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> ParapetSpark.moderate(in, ModerationSpec.builder().textColumn("id").build()));
    assertTrue(type.getMessage().startsWith("column 'id' must be a string, was int"), type.getMessage());
    Dataset<Row> twice = ParapetSpark.moderate(in, ModerationSpec.builder().textColumn("prompt")
        .model(KeywordTestProvider.MODEL).build());
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> ParapetSpark.moderate(twice, ModerationSpec.builder().textColumn("prompt").build()));
    assertTrue(again.getMessage().startsWith("the input already has a column 'parapet_decision'"), again.getMessage());
  }
}
