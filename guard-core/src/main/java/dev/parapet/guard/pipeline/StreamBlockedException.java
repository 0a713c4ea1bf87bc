package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.GuardException;
import dev.parapet.guard.Verdict;

/**
 * The error a {@link StreamGuard} publisher ends with when the guard stopped the stream. Carries the verdict;
 * the withheld text is not in it (it must not be shown). State set at construction; the verdict is immutable.
 */
public class StreamBlockedException extends GuardException {
  private static final long serialVersionUID = 1L;

  private final transient Verdict verdict;
  private final int stoppedAtToken;

  public StreamBlockedException(Verdict verdict, int stoppedAtToken) {
    super("the guard stopped the stream after " + stoppedAtToken + " tokens: " + requireNonNull(verdict, "verdict"));
    this.verdict = verdict;
    this.stoppedAtToken = stoppedAtToken;
  }

  public Verdict verdict() {
    return verdict;
  }

  public int stoppedAtToken() {
    return stoppedAtToken;
  }
}
