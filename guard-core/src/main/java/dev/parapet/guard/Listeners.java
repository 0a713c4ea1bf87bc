package dev.parapet.guard;

import dev.parapet.guard.event.GuardListener;
import java.util.List;
import java.util.function.Consumer;

/**
 * Calls the application's listeners so that none can break a check: every Throwable a listener throws is
 * caught and logged. Immutable list, so thread-safe.
 */
final class Listeners {
  private static final System.Logger LOG = System.getLogger(GuardListener.class.getName());

  private final List<GuardListener> listeners;

  Listeners(List<GuardListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  void fire(String event, Consumer<GuardListener> call) {
    for (GuardListener l : listeners) {
      try {
        call.accept(l);
      } catch (VirtualMachineError e) {
        throw e; // out of memory or stack: the JVM is in trouble, as in DefaultGuard's attempt(); never swallowed
      } catch (Throwable t) {
        // A listener is a plug-in: its failure must not change the verdict or escape the check.
        LOG.log(System.Logger.Level.WARNING, "guard listener " + l + " threw in " + event + "; ignored", t);
      }
    }
  }

  void checkStarted(Conversation c) {
    if (!listeners.isEmpty()) {
      fire("checkStarted", l -> l.checkStarted(c));
    }
  }

  void cacheHit(Conversation c) {
    if (!listeners.isEmpty()) {
      fire("cacheHit", l -> l.cacheHit(c));
    }
  }

  void classifierFailed(Conversation c, Throwable error) {
    if (!listeners.isEmpty()) {
      fire("classifierFailed", l -> l.classifierFailed(c, error));
    }
  }

  void checkFinished(Conversation c, Verdict v) {
    if (!listeners.isEmpty()) {
      fire("checkFinished", l -> l.checkFinished(c, v));
    }
  }

  void streamOpened(Conversation c) {
    if (!listeners.isEmpty()) {
      fire("streamOpened", l -> l.streamOpened(c));
    }
  }

  void streamStopped(Conversation c, Verdict v, int tokens) {
    if (!listeners.isEmpty()) {
      fire("streamStopped", l -> l.streamStopped(c, v, tokens));
    }
  }

  void streamCompleted(Conversation c, Verdict v, int tokens) {
    if (!listeners.isEmpty()) {
      fire("streamCompleted", l -> l.streamCompleted(c, v, tokens));
    }
  }
}
