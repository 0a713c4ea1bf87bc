package dev.parapet.guard.cli;

/** Loads an {@link Engine}; the CLI's one seam for tests (which pass a factory over a fake classifier). */
@FunctionalInterface
public interface EngineFactory {
  /**
   * Loads the guard described by {@code options}.
   *
   * @throws IllegalArgumentException for bad options (the message says what to pass instead)
   * @throws dev.parapet.guard.ModelLoadException when the model cannot be loaded
   */
  Engine open(EngineOptions options);
}
