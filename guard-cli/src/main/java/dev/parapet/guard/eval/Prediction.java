package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Decision;
import dev.parapet.guard.Note;
import dev.parapet.guard.Verdict;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the guard said about one {@link EvalRecord}. Immutable.
 *
 * @param record the labelled item
 * @param decision the verdict's decision under the policy
 * @param score P(unsafe), NaN when the item could not be scored (see {@link #unscoredReason()})
 * @param categoryScores per-category scores (may be empty)
 * @param latencyMillis the check's latency
 * @param unscoredReason why there is no score (classifier failure, documented input handling), if so
 */
public record Prediction(
    EvalRecord record,
    Decision decision,
    double score,
    Map<String, Double> categoryScores,
    double latencyMillis,
    Optional<String> unscoredReason) {
  public Prediction {
    requireNonNull(record, "record");
    requireNonNull(decision, "decision");
    categoryScores = Map.copyOf(requireNonNull(categoryScores, "categoryScores"));
    requireNonNull(unscoredReason, "unscoredReason");
  }

  /** A prediction from a verdict. */
  public static Prediction of(EvalRecord record, Verdict verdict) {
    requireNonNull(verdict, "verdict");
    double latency = verdict.latency().toNanos() / 1e6;
    if (verdict.scores().isEmpty()) {
      String why = verdict.failure().map(f -> f.kind() + ": " + f.message())
          .orElseGet(() -> verdict.notes().isEmpty() ? "no scores"
              : verdict.notes().stream().map(Note::toString).collect(Collectors.joining("; ")));
      return new Prediction(record, verdict.decision(), Double.NaN, Map.of(), latency, Optional.of(why));
    }
    return new Prediction(record, verdict.decision(), verdict.unsafeScore(),
        verdict.scores().get().categories(), latency, Optional.empty());
  }

  /** True when the policy's decision is FLAG or BLOCK. */
  public boolean predictedUnsafe() {
    return decision != Decision.ALLOW;
  }

  public boolean scored() {
    return unscoredReason.isEmpty();
  }
}
