package dev.parapet.guard.spi;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cancellation signal handed to a classifier with each request, so that a timeout or an early stop can
 * abort native work (ONNX Runtime's {@code RunOptions.setTerminate}). Thread-safe.
 *
 * <p>Classifiers call {@link #throwIfCancelled()} between steps and register a callback with
 * {@link #onCancel(Runnable)} around long native calls.
 */
public final class Cancellation {
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final CopyOnWriteArrayList<Runnable> callbacks = new CopyOnWriteArrayList<>();

  /** A fresh signal, not cancelled. */
  public static Cancellation create() {
    return new Cancellation();
  }

  /** Cancels; runs the registered callbacks once. Idempotent. */
  public void cancel() {
    if (cancelled.compareAndSet(false, true)) {
      for (Runnable r : callbacks) {
        try {
          r.run();
        } catch (RuntimeException e) {
          System.getLogger(Cancellation.class.getName())
              .log(System.Logger.Level.WARNING, "cancellation callback threw; ignored", e);
        }
      }
    }
  }

  public boolean isCancelled() {
    return cancelled.get();
  }

  /** Throws {@link java.util.concurrent.CancellationException} if cancelled. */
  public void throwIfCancelled() {
    if (cancelled.get()) {
      throw new java.util.concurrent.CancellationException("classification was cancelled");
    }
  }

  /**
   * Runs {@code callback} on cancel (at once if already cancelled). Close the returned registration when the
   * guarded step is over.
   */
  public Registration onCancel(Runnable callback) {
    java.util.Objects.requireNonNull(callback, "callback");
    callbacks.add(callback);
    if (cancelled.get() && callbacks.remove(callback)) {
      callback.run();
    }
    return () -> callbacks.remove(callback);
  }

  /** Removes a callback registered with {@link #onCancel(Runnable)}. */
  @FunctionalInterface
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }
}
