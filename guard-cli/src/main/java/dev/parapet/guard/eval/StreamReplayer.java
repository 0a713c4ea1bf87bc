package dev.parapet.guard.eval;

import java.util.List;

/**
 * Replays one response, piece by piece, through a streaming session (in the CLI: a {@code Guard}'s
 * {@code openStream}). Must be thread-safe when the evaluation runs on several threads.
 */
@FunctionalInterface
public interface StreamReplayer {
  /**
   * Opens a session for {@code record}'s prompt, feeds {@code pieces} (which concatenate to the response)
   * until the session says STOP or the pieces run out, then finishes it.
   */
  StreamOutcome replay(EvalRecord record, List<String> pieces);
}
