package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;

/**
 * Our strategy: a {@link StreamingSession} from {@link Guard#openStream}, at the guard's stream options (the
 * defaults unless the benchmark says otherwise). With a classifier that offers
 * {@link dev.parapet.guard.spi.Classifier#incremental()} the session keeps its state (KV cache or window) and a
 * check costs the new text plus a fixed suffix. Not thread-safe; owns the session.
 */
final class GuardSink implements TokenSink {
  private final StreamingSession session;
  private long checks;
  private Verdict lastVerdict;

  /** A session at the guard's stream options. */
  GuardSink(Guard guard, String prompt) {
    this(guard, prompt, requireNonNull(guard, "guard").streamOptions());
  }

  /** A session at these options. */
  GuardSink(Guard guard, String prompt, StreamOptions options) {
    this.session = requireNonNull(guard, "guard")
        .openStream(Conversation.ofPrompt(requireNonNull(prompt, "prompt")), requireNonNull(options, "options"));
  }

  @Override
  public Object onToken(String token) {
    StreamDecision d = session.onToken(token);
    if (d.isStop()) {
      throw new IllegalStateException("the benchmark's stream was stopped at token " + session.tokensSeen()
          + " (" + d.verdict().orElse(null) + "); the benchmark needs a policy that never blocks");
    }
    Verdict v = d.verdict().orElse(null);
    if (v != null && v != lastVerdict) {
      checks++;
      lastVerdict = v;
    }
    return d;
  }

  /** Ends the response with the session's final check. */
  StreamDecision finish() {
    StreamDecision d = session.finish();
    if (d.isStop()) {
      throw new IllegalStateException("the benchmark's stream was stopped at finish() (" + d.verdict().orElse(null)
          + "); the benchmark needs a policy that never blocks");
    }
    return d;
  }

  /** Checks run so far (each check gives a new verdict). */
  @Override
  public long checks() {
    return checks;
  }

  @Override
  public void close() {
    session.close();
  }
}
