package dev.parapet.guard.eval;

import dev.parapet.guard.Decision;

/**
 * What happened when one response was replayed through a streaming session. Immutable.
 *
 * @param steps pieces fed to the session (until STOP, or all of them)
 * @param stopped whether the session said STOP
 * @param stopStep 1-based index of the piece at which STOP came, or 0 when it did not stop
 * @param releasedChars response characters released to the user (before STOP, or after finish)
 * @param finalDecision the session's final decision (BLOCK or FLAG after STOP; finish()'s verdict otherwise)
 * @param finalScore P(unsafe) of the last check, NaN when none was made
 * @param checks classifier checks the session ran (finish() included), or -1 when not counted
 */
public record StreamOutcome(int steps, boolean stopped, int stopStep, long releasedChars, Decision finalDecision,
    double finalScore, int checks) {
  /** An outcome whose checks were not counted. */
  public StreamOutcome(int steps, boolean stopped, int stopStep, long releasedChars, Decision finalDecision,
      double finalScore) {
    this(steps, stopped, stopStep, releasedChars, finalDecision, finalScore, -1);
  }

  public StreamOutcome {
    java.util.Objects.requireNonNull(finalDecision, "finalDecision");
    if (steps < 0 || releasedChars < 0 || stopStep < 0 || (stopped && stopStep == 0) || checks < -1) {
      throw new IllegalArgumentException("inconsistent stream outcome: steps=" + steps + " stopStep=" + stopStep
          + " releasedChars=" + releasedChars);
    }
  }

  /** The streamed verdict: unsafe when the stream was stopped or its final decision is not ALLOW. */
  public boolean predictedUnsafe() {
    return stopped || finalDecision != Decision.ALLOW;
  }
}
