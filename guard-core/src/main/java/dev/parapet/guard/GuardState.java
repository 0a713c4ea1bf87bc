package dev.parapet.guard;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether a guard may still be used: its own closed flag and, for a guard derived with {@code newBuilder()}, the
 * flag of the guard that owns the shared classifier. Streaming sessions read it instead of holding the guard.
 * Thread-safe (atomic flags).
 */
final class GuardState {
  private final AtomicBoolean closed = new AtomicBoolean();
  private final String classifierId;
  /** The owner's closed flag when the classifier is borrowed from a guard that owns it; else null. */
  private final AtomicBoolean ownerClosed;

  GuardState(String classifierId, AtomicBoolean ownerClosed) {
    this.classifierId = classifierId;
    this.ownerClosed = ownerClosed;
  }

  /** Marks this guard closed; true for the first call only. */
  boolean close() {
    return closed.compareAndSet(false, true);
  }

  boolean closedFlagSet() {
    return closed.get();
  }

  /**
   * The flag a guard derived from this one watches: this guard's own when it owns the classifier (closing it
   * frees the classifier), else the flag this guard itself watches.
   */
  AtomicBoolean flagForDerived(boolean ownsClassifier) {
    return ownsClassifier ? closed : ownerClosed;
  }

  void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("this Guard is closed; build a new one");
    }
    if (ownerClosed != null && ownerClosed.get()) {
      throw new IllegalStateException("the Guard this one was derived from (newBuilder) was closed, and with it "
          + "the shared classifier " + classifierId + "; derive from a guard that is still open");
    }
  }

  boolean isClosed() {
    return closed.get() || (ownerClosed != null && ownerClosed.get());
  }
}
