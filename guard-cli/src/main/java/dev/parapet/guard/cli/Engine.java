package dev.parapet.guard.cli;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.Optional;

/**
 * What the CLI needs from a loaded guard: checks and streaming sessions. The production implementation
 * wraps a {@code Guard}; tests inject their own through {@link EngineFactory}. Thread-safe ({@link #check}
 * may be called concurrently); each {@link Stream} is used from one thread.
 */
public interface Engine extends AutoCloseable {
  /** The classifier's id (model and settings). */
  String modelId();

  /** The taxonomy checks are judged against. */
  Taxonomy taxonomy();

  /** The policy as a spec string. */
  String policySpec();

  /** Checks a conversation (prompt, or prompt + response). */
  Verdict check(Conversation conversation);

  /** Opens a streaming session for the response to {@code prompt} (whose last turn is the user's). */
  Stream openStream(Conversation prompt, StreamOptions options);

  @Override
  void close();

  /** A streaming session. Not thread-safe. */
  interface Stream extends AutoCloseable {
    /** Feeds the next piece of the response. */
    Step onToken(String piece);

    /** Ends the response: judges and releases what is still held back (unless stopped). */
    Step finish();

    @Override
    void close();
  }

  /**
   * What one step of a stream did.
   *
   * @param stop true when the session said STOP (nothing more will be released)
   * @param released text released to the user by this step (may be empty: held back)
   * @param verdict the verdict behind a STOP, or finish()'s verdict
   * @param withheld on STOP, text received but never released
   */
  record Step(boolean stop, String released, Optional<Verdict> verdict, String withheld) {
    public Step {
      java.util.Objects.requireNonNull(released, "released");
      java.util.Objects.requireNonNull(verdict, "verdict");
      java.util.Objects.requireNonNull(withheld, "withheld");
    }
  }
}
