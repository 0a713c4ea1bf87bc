package dev.parapet.guard.stream;

import dev.parapet.guard.Verdict;
import java.util.Optional;

/**
 * Guards one streamed response: feed it the model's tokens, show the user only what it releases. Open one with
 * {@code Guard.openStream(...)}. <b>Not thread-safe:</b> use a session from one thread at a time (a token
 * stream is sequential); different sessions may run in parallel on one guard.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>no token is released before a check covering it passed;
 *   <li>after a {@link StreamDecision.Stop} nothing more is released, and every later {@link #onToken} or
 *       {@link #finish()} returns that same Stop;
 *   <li>{@link #finish()} checks the full response and releases the rest only if it passes;
 *   <li>the session frees its incremental classifier state on stop, finish and close (close is idempotent:
 *       always use try-with-resources);
 *   <li>if the classifier fails mid-stream, the policy's failure mode applies: closed stops the stream, open
 *       releases the text the failed check covered;
 *   <li>partial texts never go through or into the guard's result cache.
 * </ul>
 */
public interface StreamingSession extends AutoCloseable {

  /**
   * Feeds the next token (any text chunk; may be empty).
   *
   * @throws NullPointerException if {@code token} is null
   * @throws IllegalStateException after {@link #finish()} or {@link #close()}, or when the guard was closed
   */
  StreamDecision onToken(String token);

  /**
   * Ends the response: checks the full text and returns {@link StreamDecision.Complete} with the rest of the
   * text, or a {@link StreamDecision.Stop}. Calling it again returns the same decision.
   *
   * @throws IllegalStateException after {@link #close()} without a prior finish, or when the guard was closed
   */
  StreamDecision finish();

  /** The verdict of the latest check, empty before the first. */
  Optional<Verdict> lastVerdict();

  /** Tokens fed so far. */
  int tokensSeen();

  /** True once the session stopped the response. */
  boolean stopped();

  /** Frees the session's classifier state. Idempotent; never throws. */
  @Override
  void close();
}
