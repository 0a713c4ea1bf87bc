package dev.parapet.guard.pipeline;

/**
 * One step around the model call, OkHttp-style: inspect or rewrite {@code chain.request()}, call
 * {@code chain.proceed(...)} at most once (or not at all, to short-circuit), inspect or replace the reply.
 * Implementations should be thread-safe when the pipeline is shared.
 *
 * <p>An interceptor that throws (or returns null) fails the whole call with an {@link InterceptorException}
 * naming it: no model text is returned, so a failing guard step fails closed.
 */
@FunctionalInterface
public interface GuardInterceptor {
  ChatReply intercept(Chain chain);

  /** A name for error messages; default the class name. */
  default String name() {
    return getClass().getName();
  }
}
