package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.policy.FailureMode;

/**
 * Why a check could not be completed, and which failure mode decided the verdict. Immutable and thread-safe.
 *
 * @param kind what went wrong
 * @param message the error's message
 * @param appliedMode CLOSED (the verdict is BLOCK) or OPEN (ALLOW)
 */
public record Failure(Kind kind, String message, FailureMode appliedMode) {
  public Failure {
    requireNonNull(kind, "kind");
    requireNonNull(message, "message");
    requireNonNull(appliedMode, "appliedMode");
  }

  public enum Kind {
    /** The classifier threw. */
    CLASSIFIER_ERROR,
    /** The per-call timeout passed; the work was cancelled. */
    TIMEOUT,
    /** The guard was closed, the call was interrupted or its future cancelled. */
    CANCELLED,
    /**
     * The judged text was longer than the guard's cost cap ({@code maxInputChars}): only its head and tail were
     * read, so the verdict cannot vouch for the middle and the failure mode decides unless the part read is
     * already blocked.
     */
    INPUT_TOO_LONG
  }
}
