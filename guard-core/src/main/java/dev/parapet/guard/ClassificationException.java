package dev.parapet.guard;

/**
 * A classifier failed to score an input (native error, cancelled run, malformed output). The Guard turns it
 * into a failure verdict; it never escapes {@code Guard.check}. State set at construction.
 */
public class ClassificationException extends GuardException {
  private static final long serialVersionUID = 1L;

  public ClassificationException(String message) {
    super(message);
  }

  public ClassificationException(String message, Throwable cause) {
    super(message, cause);
  }
}
