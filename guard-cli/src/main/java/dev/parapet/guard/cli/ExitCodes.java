package dev.parapet.guard.cli;

/** The CLI's exit codes (documented in the usage text). */
final class ExitCodes {
  /** Success; for classify: every input was allowed. */
  static final int OK = 0;
  /** classify: at least one input was flagged or blocked. */
  static final int UNSAFE = 1;
  /** Bad usage or input (unknown option, missing file, malformed data, model that cannot be loaded). */
  static final int USAGE = 2;
  /** An internal error (a bug): the stack trace is printed. */
  static final int INTERNAL = 3;

  private ExitCodes() {}
}
