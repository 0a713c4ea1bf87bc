package dev.parapet.guard.event;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Verdict;

/**
 * Receives events from a {@link dev.parapet.guard.Guard}, for metrics and logging. Every method does nothing by
 * default; override the ones you need.
 *
 * <p><b>Contract:</b> listeners are called synchronously on the thread doing the check (a caller thread, an
 * executor thread, or a streaming session's thread), possibly from many threads at once, so implementations
 * must be thread-safe and fast. A listener that throws never breaks a check: the guard catches every
 * {@link Throwable} a listener throws and logs it through {@link System.Logger} (logger name
 * {@code dev.parapet.guard.event.GuardListener}) at WARNING.
 *
 * <p>The conversation passed is the one the application gave, before normalization.
 */
public abstract class GuardListener {
  /** A listener that ignores every event. */
  public static final GuardListener NONE = new GuardListener() {
    @Override
    public String toString() {
      return "GuardListener.NONE";
    }
  };

  protected GuardListener() {}

  /** A check (or one conversation of {@code checkAll}) started. */
  public void checkStarted(Conversation conversation) {}

  /** The check's scores came from the result cache. */
  public void cacheHit(Conversation conversation) {}

  /**
   * The classifier threw, timed out or was interrupted; the verdict that follows applies the policy's failure
   * mode.
   */
  public void classifierFailed(Conversation conversation, Throwable error) {}

  /** A check finished with this verdict (also called for empty input and failures). */
  public void checkFinished(Conversation conversation, Verdict verdict) {}

  /** A streaming session was opened for this prompt conversation. */
  public void streamOpened(Conversation promptConversation) {}

  /** A streaming session stopped the response after {@code tokensSeen} tokens. */
  public void streamStopped(Conversation promptConversation, Verdict verdict, int tokensSeen) {}

  /** A streaming session's finish() passed the full response. */
  public void streamCompleted(Conversation promptConversation, Verdict verdict, int tokensSeen) {}
}
