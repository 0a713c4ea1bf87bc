package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

/** Thrown in strict mode for the first malformed line of a data file; the message names file and line. */
public final class MalformedDataException extends IllegalArgumentException {
  private final long line;

  public MalformedDataException(String file, MalformedLine malformed) {
    super(requireNonNull(file, "file") + ":" + requireNonNull(malformed, "malformed").line() + ": "
        + malformed.reason() + " (fix the line, or run without --strict to skip malformed lines with a count)");
    this.line = malformed.line();
  }

  /** The 1-based line number of the malformed line. */
  public long line() {
    return line;
  }
}
