package dev.parapet.guard.pipeline;

import dev.parapet.guard.Conversation;

/**
 * An interceptor's view of the rest of the pipeline: an immutable cursor. Not thread-safe: use it on the
 * thread that called {@link GuardInterceptor#intercept}.
 */
public interface Chain {
  /** The conversation as it reached this interceptor. */
  Conversation request();

  /**
   * Calls the next interceptor, or the model after the last. At most once per chain.
   *
   * @throws IllegalStateException naming the interceptor when called a second time
   * @throws NullPointerException if {@code request} is null
   */
  ChatReply proceed(Conversation request);
}
