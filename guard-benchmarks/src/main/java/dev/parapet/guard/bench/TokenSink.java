package dev.parapet.guard.bench;

/**
 * One streamed response under one checking strategy: takes the response token by token and does whatever
 * checking the strategy does. Not thread-safe. Owns native state (a session); close it.
 */
interface TokenSink extends AutoCloseable {
  /**
   * Takes the next stream token and runs the checks the strategy runs at this point.
   *
   * @return whatever the check produced (a decision, scores or null when no check ran), for a Blackhole
   */
  Object onToken(String token);

  /** How many checks ran so far (for sanity checks in tests and setup). */
  long checks();

  @Override
  void close();
}
