package dev.parapet.guard.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The blocks that metrics.json (eval) and stream-metrics.json (eval-stream) share, written in one place so the
 * two files describe a run and its skipped lines the same way.
 */
final class SummaryJson {
  private SummaryJson() {}

  /** {@code model.id}, {@code taxonomy.name/hash}, {@code policy} and {@code data}, in that order. */
  static void runInfo(ObjectNode root, RunInfo info) {
    ObjectNode model = root.putObject("model");
    model.put("id", info.modelId());
    ObjectNode tax = root.putObject("taxonomy");
    tax.put("name", info.taxonomyName());
    tax.put("hash", info.taxonomyHash());
    root.put("policy", info.policySpec());
    root.put("data", info.data());
  }

  /** {@code malformedCount} and {@code malformed: [{line, reason}]}. */
  static void malformed(ObjectNode root, List<MalformedLine> malformed) {
    root.put("malformedCount", malformed.size());
    ArrayNode mal = root.putArray("malformed");
    for (MalformedLine m : malformed) {
      ObjectNode o = mal.addObject();
      o.put("line", m.line());
      o.put("reason", m.reason());
    }
  }

  /** A confusion matrix: {@code tp, fp, tn, fn}, then precision, recall, F1 and FPR (null when undefined). */
  static void confusion(ObjectNode o, Metrics.Confusion c) {
    o.put("tp", c.tp());
    o.put("fp", c.fp());
    o.put("tn", c.tn());
    o.put("fn", c.fn());
    EvalSummary.num(o, "precision", c.precision());
    EvalSummary.num(o, "recall", c.recall());
    EvalSummary.num(o, "f1", c.f1());
    EvalSummary.num(o, "fpr", c.fpr());
  }
}
