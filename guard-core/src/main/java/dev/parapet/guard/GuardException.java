package dev.parapet.guard;

/**
 * Base of Parapet's unchecked exceptions. Messages say which step failed, with which value, and what to do.
 */
public class GuardException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GuardException(String message) {
    super(message);
  }

  public GuardException(String message, Throwable cause) {
    super(message, cause);
  }
}
