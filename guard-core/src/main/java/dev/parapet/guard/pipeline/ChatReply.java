package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Verdict;
import java.util.Optional;

/**
 * A reply of a {@link ChatPipeline}. Immutable and thread-safe.
 *
 * @param text what to show the user (the model's text, or a refusal)
 * @param verdict the guard's verdict on it, when a guard judged it
 * @param refused true when a guard replaced the model's text (or never called the model) with a refusal
 */
public record ChatReply(String text, Optional<Verdict> verdict, boolean refused) {
  public ChatReply {
    requireNonNull(text, "text");
    requireNonNull(verdict, "verdict");
  }

  /** A plain model reply, not judged. */
  public static ChatReply of(String text) {
    return new ChatReply(text, Optional.empty(), false);
  }

  /** A refusal decided by {@code verdict}. */
  public static ChatReply refusal(String text, Verdict verdict) {
    return new ChatReply(text, Optional.of(requireNonNull(verdict, "verdict")), true);
  }

  /** A copy carrying this verdict. */
  public ChatReply withVerdict(Verdict v) {
    return new ChatReply(text, Optional.of(requireNonNull(v, "verdict")), refused);
  }
}
