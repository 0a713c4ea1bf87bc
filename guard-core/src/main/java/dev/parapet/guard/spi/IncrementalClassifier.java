package dev.parapet.guard.spi;

/**
 * Streaming support: keeps state between checks of a growing response so that a check costs in proportion
 * to the new text, not to the whole response. Thread-safe; each {@link Session} is used from one thread.
 */
public interface IncrementalClassifier {

  /**
   * The {@link Truncation#strategy()} of a {@link Session#score()} that read only the part of the response
   * added since the previous score (every window that text touched, with some context), not all of it. Such a
   * score covers every token released after it, but not the whole text at once; the guard's final check
   * ({@code StreamingSession.finish()}) then re-checks the whole response with {@link Classifier#classify}.
   */
  Truncation.Strategy PARTIAL_SCORE = Truncation.Strategy.WINDOWS_TOUCHED;

  /**
   * Opens a session for the response to {@code request.conversation()}, whose last turn is the user's prompt.
   * The response starts empty.
   */
  Session open(ClassificationRequest request);

  /**
   * State for one streamed response (for a decoder: the KV cache of prefix + conversation + response so far).
   * Not thread-safe. Owns native memory: close it.
   */
  interface Session extends AutoCloseable {
    /** Appends response text (already normalized) to the committed state. */
    void append(String responseDelta);

    /** Scores the response so far, as a response check, without changing the committed state. */
    Scores score();

    /** Response length consumed so far, in the backend's tokens. */
    long committedTokens();

    /** Releases the state. Idempotent. */
    @Override
    void close();
  }
}
