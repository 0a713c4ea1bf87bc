package dev.parapet.guard.spi;

import static java.util.Objects.requireNonNull;

/**
 * Records that an input was longer than what the classifier reads at once, and how it was handled. Never
 * silent: a {@code Verdict} carries it. Immutable and thread-safe.
 *
 * @param originalLength length of the input in {@code unit}s
 * @param keptLength how much of it was read (equal to {@code originalLength} for strategies that read every
 *     window)
 * @param unit {@code "tokens"} or {@code "chars"}
 * @param strategy how: for example {@code "head+tail"} (the middle was skipped) or {@code "windows-max"}
 *     (every window was scored, the maximum kept)
 */
public record Truncation(long originalLength, long keptLength, String unit, String strategy) {
  public Truncation {
    requireNonNull(unit, "unit");
    requireNonNull(strategy, "strategy");
    if (originalLength < 0 || keptLength < 0 || keptLength > originalLength) {
      throw new IllegalArgumentException(
          "need 0 <= keptLength <= originalLength, got " + keptLength + " of " + originalLength);
    }
  }
}
