package dev.parapet.guard;

/**
 * Base of Parapet's unchecked exceptions. Messages say which step failed, with which value, and what to do.
 * Like any exception, not meant to be shared between threads while being modified; its state is set at
 * construction.
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
