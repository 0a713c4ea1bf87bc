package dev.parapet.guard.stream;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Verdict;
import java.util.Optional;

/**
 * What a {@link StreamingSession} says after a token or at the end. Immutable and thread-safe.
 *
 * <pre>{@code
 * switch on the type:  Continue -> show released();  Stop -> show a refusal, cut the model off;
 *                      Complete -> show released(), the response is done.
 * }</pre>
 */
public sealed interface StreamDecision {

  /** Text that may be shown to the user now (not shown before); empty for a Stop. */
  String released();

  /** True for {@link Stop}. */
  default boolean isStop() {
    return this instanceof Stop;
  }

  /** The verdict of the latest check, if any check ran. */
  Optional<Verdict> verdict();

  /**
   * Keep streaming.
   *
   * @param released newly released text, possibly empty
   * @param lastVerdict the latest check's verdict, null when no check ran yet
   */
  record Continue(String released, Verdict lastVerdict) implements StreamDecision {
    public Continue {
      requireNonNull(released, "released");
    }

    @Override
    public Optional<Verdict> verdict() {
      return Optional.ofNullable(lastVerdict);
    }
  }

  /**
   * The response was stopped: nothing more will be released.
   *
   * @param stopVerdict the verdict that stopped it (BLOCK, or a failure verdict under fail-closed)
   * @param stoppedAtToken how many tokens had been seen when it stopped
   * @param withheld text received but never released (do not show it)
   */
  record Stop(Verdict stopVerdict, int stoppedAtToken, String withheld) implements StreamDecision {
    public Stop {
      requireNonNull(stopVerdict, "stopVerdict");
      requireNonNull(withheld, "withheld");
    }

    @Override
    public String released() {
      return "";
    }

    @Override
    public Optional<Verdict> verdict() {
      return Optional.of(stopVerdict);
    }
  }

  /**
   * The full response passed its final check.
   *
   * @param released the rest of the text, not released before
   * @param finalVerdict the verdict on the full response
   */
  record Complete(String released, Verdict finalVerdict) implements StreamDecision {
    public Complete {
      requireNonNull(released, "released");
      requireNonNull(finalVerdict, "finalVerdict");
    }

    @Override
    public Optional<Verdict> verdict() {
      return Optional.of(finalVerdict);
    }
  }
}
