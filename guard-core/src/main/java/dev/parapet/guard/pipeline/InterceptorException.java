package dev.parapet.guard.pipeline;

import dev.parapet.guard.GuardException;

/**
 * A step of a {@link GuardedPipeline} failed: an interceptor (or the model) threw or returned null. The
 * message and {@link #stepName()} name the step; the cause is the original exception. Thrown once: outer
 * interceptors that let it pass do not wrap it again. State set at construction.
 */
public class InterceptorException extends GuardException {
  private static final long serialVersionUID = 1L;

  private final String stepName;

  public InterceptorException(String stepName, String message, Throwable cause) {
    super(message, cause);
    this.stepName = java.util.Objects.requireNonNull(stepName, "stepName");
  }

  /** The interceptor's {@link GuardInterceptor#name()}, or {@code "chat pipeline"} for the model call. */
  public String stepName() {
    return stepName;
  }
}
