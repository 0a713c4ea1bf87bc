package dev.parapet.guard;

/**
 * A model could not be loaded: a missing or corrupt file, a checksum mismatch, an I/O contract that does not
 * match. The message names the file and the fix. State set at construction.
 */
public class ModelLoadException extends GuardException {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
