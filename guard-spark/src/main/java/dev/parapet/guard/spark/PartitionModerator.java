package dev.parapet.guard.spark;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.policy.PolicySpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Moderates one partition: reads up to {@code batchSize} rows, judges them with one {@code checkAll} on the
 * executor's shared Guard, and emits them with the Parapet columns appended, in input order. Lazy: a partition of
 * any size holds one batch at a time. What travels to the executor is this object: the spec's strings and the
 * column positions, never a model.
 */
final class PartitionModerator implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final ModerationSpec spec;
  private final RowReader reader;
  private final FailureMode failMode;

  PartitionModerator(ModerationSpec spec, RowReader reader) {
    this.spec = spec;
    this.reader = reader;
    this.failMode = PolicySpec.parse(spec.policy()).failureMode();
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    return new Iterator<>() {
      private final List<Row> out = new ArrayList<>();
      private int next;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        out.clear();
        next = 0;
        List<Row> batch = new ArrayList<>(spec.batchSize());
        while (batch.size() < spec.batchSize() && input.hasNext()) {
          batch.add(input.next());
        }
        if (batch.isEmpty()) {
          return false;
        }
        moderate(batch, out);
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }
    };
  }

  /** Judges {@code batch} and appends one output row per input row to {@code out}. */
  private void moderate(List<Row> batch, List<Row> out) {
    Guard guard;
    try {
      guard = ExecutorGuards.get(spec.guardKey());
    } catch (RuntimeException e) { // a model that cannot load here fails its rows, visibly, not the job
      for (Row r : batch) {
        out.add(ResultColumns.failed(r, "GUARD_UNAVAILABLE", describe(e), failMode, spec.model()));
      }
      return;
    }
    String modelId = guard.classifierInfo().id();
    List<Conversation> conversations = new ArrayList<>(batch.size());
    List<Integer> positions = new ArrayList<>(batch.size());
    Row[] done = new Row[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      try {
        conversations.add(reader.conversation(batch.get(i)));
        positions.add(i);
      } catch (BadRowException e) {
        done[i] = ResultColumns.failed(batch.get(i), "INVALID_INPUT", e.getMessage(), failMode, modelId);
      }
    }
    List<Verdict> verdicts;
    try {
      verdicts = conversations.isEmpty() ? List.of() : guard.checkAll(conversations);
    } catch (RuntimeException e) { // checkAll turns classifier failures into verdicts; anything else lands here
      verdicts = null;
      for (int p : positions) {
        done[p] = ResultColumns.failed(batch.get(p), "CHECK_FAILED", describe(e), failMode, modelId);
      }
    }
    if (verdicts != null) {
      for (int k = 0; k < positions.size(); k++) {
        int p = positions.get(k);
        done[p] = ResultColumns.of(batch.get(p), verdicts.get(k));
      }
    }
    for (Row r : done) {
      out.add(r);
    }
  }

  private static String describe(Throwable e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
