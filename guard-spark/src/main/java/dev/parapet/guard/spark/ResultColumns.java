package dev.parapet.guard.spark;

import dev.parapet.guard.Decision;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.FailureMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/** The columns {@link ParapetSpark#moderate} appends, and how a verdict or a failure fills them. */
final class ResultColumns {
  static final String DECISION = "parapet_decision";
  static final String UNSAFE = "parapet_unsafe";
  static final String CATEGORIES = "parapet_categories";
  static final String SCORES = "parapet_scores";
  static final String MODEL = "parapet_model";
  static final String ERROR = "parapet_error";
  static final List<String> NAMES = List.of(DECISION, UNSAFE, CATEGORIES, SCORES, MODEL, ERROR);

  private ResultColumns() {}

  /** The input schema with the Parapet columns appended. */
  static StructType appendTo(StructType input) {
    for (String n : NAMES) {
      if (List.of(input.fieldNames()).contains(n)) {
        throw new IllegalArgumentException("the input already has a column '" + n + "': drop or rename it "
            + "before moderating (ParapetSpark appends " + NAMES + ")");
      }
    }
    return input
        .add(new StructField(DECISION, DataTypes.StringType, false, org.apache.spark.sql.types.Metadata.empty()))
        .add(UNSAFE, DataTypes.DoubleType, true)
        .add(new StructField(CATEGORIES, DataTypes.createArrayType(DataTypes.StringType, false), false,
            org.apache.spark.sql.types.Metadata.empty()))
        .add(SCORES, DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false), true)
        .add(MODEL, DataTypes.StringType, true)
        .add(ERROR, DataTypes.StringType, true);
  }

  /** The row with a verdict's columns; a verdict that records a failure sets the error column. */
  static Row of(Row input, Verdict v) {
    double unsafe = v.unsafeScore();
    List<String> codes = new ArrayList<>();
    for (Triggered t : v.triggered()) {
      codes.add(t.code());
    }
    Map<String, Double> scores = v.scores().map(s -> (Map<String, Double>) new TreeMap<>(s.categories())).orElse(null);
    String error = v.failure().map(f -> error(f.kind().name(), f.message(), f.appliedMode())).orElse(null);
    return append(input, v.decision().name(), Double.isNaN(unsafe) ? null : unsafe, codes, scores, v.classifierId(),
        error);
  }

  /** The row of an input that was not judged: the policy's fail mode decides, and the error says why. */
  static Row failed(Row input, String kind, String message, FailureMode mode, String modelId) {
    Decision d = mode == FailureMode.OPEN ? Decision.ALLOW : Decision.BLOCK;
    return append(input, d.name(), null, List.of(), null, modelId, error(kind, message, mode));
  }

  /** {@code "KIND (fail mode CLOSED: BLOCK): message"}: the fail mode that decided the row is always recorded. */
  static String error(String kind, String message, FailureMode mode) {
    return kind + " (fail mode " + mode + ": " + (mode == FailureMode.OPEN ? "ALLOW" : "BLOCK") + "): " + message;
  }

  private static Row append(Row input, String decision, Double unsafe, List<String> categories,
      Map<String, Double> scores, String model, String error) {
    int n = input.length();
    Object[] values = new Object[n + NAMES.size()];
    for (int i = 0; i < n; i++) {
      values[i] = input.get(i);
    }
    values[n] = decision;
    values[n + 1] = unsafe;
    values[n + 2] = CollectionConverters.asScala(categories).toSeq();
    values[n + 3] = scores == null ? null : CollectionConverters.asScala(scores);
    values[n + 4] = model;
    values[n + 5] = error;
    return RowFactory.create(values);
  }
}
