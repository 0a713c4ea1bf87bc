package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Verdict;
import java.util.Optional;

/**
 * A reply of a {@link ChatPipeline}: the model's {@link Answer} or a guard's {@link Refusal}. Sealed, so a
 * refusal always carries the verdict that decided it and code can switch over the two. Immutable and
 * thread-safe.
 */
public sealed interface ChatReply permits ChatReply.Answer, ChatReply.Refusal {

  /** What to show the user: the model's text, or the refusal text. */
  String text();

  /** The guard's verdict on the reply, when a guard judged it; always present on a {@link Refusal}. */
  Optional<Verdict> verdict();

  /** True when a guard replaced the model's text (or never called the model) with a refusal. */
  default boolean refused() {
    return this instanceof Refusal;
  }

  /** A plain model reply, not judged. */
  static Answer of(String text) {
    return new Answer(text, Optional.empty());
  }

  /** A refusal decided by {@code verdict}. */
  static Refusal refusal(String text, Verdict verdict) {
    return new Refusal(text, verdict);
  }

  /**
   * The model's text, passed on.
   *
   * @param text the model's text
   * @param verdict the guard's verdict on it, when a guard judged it (e.g. ALLOW or FLAG)
   */
  record Answer(String text, Optional<Verdict> verdict) implements ChatReply {
    public Answer {
      requireNonNull(text, "text");
      requireNonNull(verdict, "verdict");
    }

    /** A copy carrying this verdict. */
    public Answer withVerdict(Verdict v) {
      return new Answer(text, Optional.of(requireNonNull(v, "verdict")));
    }
  }

  /**
   * A guard's refusal in place of the model's text.
   *
   * @param text the refusal to show the user
   * @param refusedBy the verdict that decided it (a BLOCK, or a failure under a fail-closed policy)
   */
  record Refusal(String text, Verdict refusedBy) implements ChatReply {
    public Refusal {
      requireNonNull(text, "text");
      requireNonNull(refusedBy, "refusedBy");
    }

    @Override
    public Optional<Verdict> verdict() {
      return Optional.of(refusedBy);
    }
  }
}
