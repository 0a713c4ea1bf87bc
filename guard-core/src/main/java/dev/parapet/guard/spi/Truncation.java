package dev.parapet.guard.spi;

import static java.util.Objects.requireNonNull;

/**
 * Records that an input was longer than what the classifier reads at once, and how it was handled. Never
 * silent: a {@code Verdict} carries it. Immutable and thread-safe.
 *
 * @param originalLength length of the input in {@code unit}s
 * @param keptLength how much of it was read (equal to {@code originalLength} for strategies that read every
 *     window)
 * @param unit what the lengths count
 * @param strategy how the input was cut or covered
 */
public record Truncation(long originalLength, long keptLength, Unit unit, Strategy strategy) {
  /** What {@link #originalLength} and {@link #keptLength} count. */
  public enum Unit {
    TOKENS("tokens"),
    CHARS("chars");

    private final String label;

    Unit(String label) {
      this.label = label;
    }

    /** The name in verdict JSON and notes ({@code "tokens"}). */
    public String label() {
      return label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** How an input longer than one read was handled. */
  public enum Strategy {
    /** The first and last parts were read, the middle skipped. */
    HEAD_TAIL("head+tail"),
    /** Every window was scored and the maximum per category kept: nothing skipped. */
    WINDOWS_MAX("windows-max"),
    /** A streaming check scored only the windows the new text touched (see {@link IncrementalClassifier}). */
    WINDOWS_TOUCHED("windows-touched"),
    /** Whole earlier turns were dropped to fit the context. */
    DROP_OLDEST_TURNS("drop-oldest-turns"),
    /** Earlier turns were dropped and the judged turn still cut to its head and tail. */
    DROP_OLDEST_TURNS_HEAD_TAIL("drop-oldest-turns+head+tail");

    private final String label;

    Strategy(String label) {
      this.label = label;
    }

    /** The name in verdict JSON and notes ({@code "head+tail"}). */
    public String label() {
      return label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public Truncation {
    requireNonNull(unit, "unit");
    requireNonNull(strategy, "strategy");
    if (originalLength < 0 || keptLength < 0 || keptLength > originalLength) {
      throw new IllegalArgumentException(
          "need 0 <= keptLength <= originalLength, got " + keptLength + " of " + originalLength);
    }
  }
}
