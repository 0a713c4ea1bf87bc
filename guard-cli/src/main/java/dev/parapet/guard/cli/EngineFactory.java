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

  /**
   * Checks a model folder's export (graph I/O names and shapes against its family) without running it: the
   * lines to print, empty when the family has no such check. Factories over fake classifiers have none.
   *
   * @throws RuntimeException describing what does not match
   */
  default java.util.List<String> checkExport(java.nio.file.Path dir, String family) {
    return java.util.List.of();
  }
}
