package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

/**
 * A JSONL line that could not be read as an {@link EvalRecord}. Immutable.
 *
 * @param line 1-based line number
 * @param reason what is wrong and how to fix it
 */
public record MalformedLine(long line, String reason) {
  public MalformedLine {
    requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return "line " + line + ": " + reason;
  }
}
