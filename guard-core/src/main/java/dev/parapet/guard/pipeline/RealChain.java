package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chain cursor: position {@code index} in the interceptor list. Immutable apart from the proceed counter,
 * which is atomic so that a misbehaving interceptor calling proceed from two threads is still caught.
 */
final class RealChain implements Chain {
  private final ChatPipeline model;
  private final List<GuardInterceptor> interceptors;
  private final int index;
  private final Conversation request;
  private final GuardInterceptor owner;
  private final AtomicInteger calls = new AtomicInteger();

  RealChain(ChatPipeline model, List<GuardInterceptor> interceptors, int index, Conversation request,
      GuardInterceptor owner) {
    this.model = model;
    this.interceptors = interceptors;
    this.index = index;
    this.request = request;
    this.owner = owner;
  }

  @Override
  public Conversation request() {
    return request;
  }

  /** Runs the step at {@code index}: interceptor {@code index}, or the model when past the last. */
  ChatReply run() {
    if (index >= interceptors.size()) {
      ChatReply reply;
      try {
        reply = model.call(request);
      } catch (InterceptorException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new InterceptorException(GuardedPipeline.MODEL_STEP,
            "the chat pipeline threw " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
      }
      if (reply == null) {
        throw new InterceptorException(GuardedPipeline.MODEL_STEP, "the chat pipeline returned null", null);
      }
      return reply;
    }
    GuardInterceptor interceptor = interceptors.get(index);
    RealChain next = new RealChain(model, interceptors, index + 1, request, interceptor);
    ChatReply reply;
    try {
      reply = interceptor.intercept(next);
    } catch (InterceptorException e) {
      throw e; // already names the step that failed
    } catch (RuntimeException e) {
      throw new InterceptorException(interceptor.name(), "interceptor " + interceptor.name() + " threw "
          + e.getClass().getSimpleName() + ": " + e.getMessage() + "; the call fails closed (no reply)", e);
    }
    if (reply == null) {
      throw new InterceptorException(interceptor.name(),
          "interceptor " + interceptor.name() + " returned null; return a ChatReply", null);
    }
    return reply;
  }

  @Override
  public ChatReply proceed(Conversation newRequest) {
    requireNonNull(newRequest, "request");
    if (calls.incrementAndGet() > 1) {
      throw new IllegalStateException("interceptor " + owner.name() + " must call proceed() at most once");
    }
    return new RealChain(model, interceptors, index, newRequest, owner).run();
  }
}
