package dev.parapet.guard.spark;

/** A row that cannot become a conversation (a null text, a malformed turn); recorded in its error column. */
final class BadRowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BadRowException(String message) {
    super(message);
  }
}
