package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Guards a streamed model response given as a {@link Flow.Publisher} of tokens.
 *
 * <pre>{@code
 * Flow.Publisher<String> safe = StreamGuard.guard(guard, Conversation.ofPrompt(prompt), modelTokens);
 * }</pre>
 *
 * <p>The returned publisher is cold: each subscriber gets its own {@link StreamingSession} and its own
 * subscription to {@code upstream}. It emits the text the session releases (chunks, not necessarily one per
 * token), and:
 *
 * <ul>
 *   <li>on STOP it cancels the upstream subscription, emits nothing more, and ends with
 *       {@link Flow.Subscriber#onError} carrying a {@link StreamBlockedException} with the verdict (the
 *       application shows its own refusal); released chunks not yet requested by then are dropped;
 *   <li>when upstream completes it runs the full-text check and emits the rest, then completes (or ends with
 *       StreamBlockedException if the full text fails);
 *   <li>an upstream error is passed on as is, after closing the session;
 *   <li>it honours backpressure: it never emits more chunks than requested, and requests upstream tokens only
 *       as downstream demand allows (each token releases at most one chunk).
 * </ul>
 *
 * Thread-safe per the Reactive Streams rules: signals may come from any thread; the session is only used under
 * a lock.
 */
public final class StreamGuard {
  private StreamGuard() {}

  /** {@link #guard(Guard, Conversation, Flow.Publisher, StreamOptions)} with the guard's stream options. */
  public static Flow.Publisher<String> guard(Guard guard, Conversation promptConversation,
      Flow.Publisher<String> upstream) {
    requireNonNull(guard, "guard");
    return guard(guard, promptConversation, upstream, guard.streamOptions());
  }

  /** A publisher of the released text of {@code upstream}'s tokens; see the class comment. */
  public static Flow.Publisher<String> guard(Guard guard, Conversation promptConversation,
      Flow.Publisher<String> upstream, StreamOptions options) {
    requireNonNull(guard, "guard");
    requireNonNull(promptConversation, "promptConversation");
    requireNonNull(upstream, "upstream");
    requireNonNull(options, "options");
    return downstream -> {
      requireNonNull(downstream, "subscriber");
      StreamingSession session;
      try {
        session = guard.openStream(promptConversation, options);
      } catch (RuntimeException e) {
        downstream.onSubscribe(new Flow.Subscription() {
          @Override
          public void request(long n) {}

          @Override
          public void cancel() {}
        });
        downstream.onError(e);
        return;
      }
      upstream.subscribe(new Relay(session, downstream));
    };
  }

  /** Upstream subscriber and downstream subscription in one; serializes emission with a work-in-progress count. */
  static final class Relay implements Flow.Subscriber<String>, Flow.Subscription {
    private final Object lock = new Object();
    private final StreamingSession session;
    private final Flow.Subscriber<? super String> downstream;
    private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile Flow.Subscription upstream;
    private volatile boolean upstreamDone;
    private volatile boolean stopped;
    private volatile boolean cancelled;
    private volatile Throwable error;
    private boolean terminated; // only touched inside drain

    Relay(StreamingSession session, Flow.Subscriber<? super String> downstream) {
      this.session = session;
      this.downstream = downstream;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      requireNonNull(s, "subscription");
      if (upstream != null) {
        s.cancel();
        return;
      }
      upstream = s;
      downstream.onSubscribe(this);
    }

    @Override
    public void onNext(String token) {
      requireNonNull(token, "token");
      synchronized (lock) {
        if (cancelled || stopped || upstreamDone) {
          return;
        }
        outstanding.decrementAndGet();
        try {
          stopOrQueue(session.onToken(token));
        } catch (RuntimeException e) {
          fail(e);
        }
      }
      drain();
    }

    @Override
    public void onError(Throwable t) {
      synchronized (lock) {
        if (stopped || upstreamDone) {
          return;
        }
        session.close();
        error = t;
        upstreamDone = true;
      }
      drain();
    }

    @Override
    public void onComplete() {
      synchronized (lock) {
        if (cancelled || stopped || upstreamDone) {
          return;
        }
        try {
          stopOrQueue(session.finish());
        } catch (RuntimeException e) {
          fail(e);
        } finally {
          session.close();
        }
        upstreamDone = true;
      }
      drain();
    }

    /** Under lock. A stop ends the stream; otherwise the released text (if any) waits for demand. */
    private void stopOrQueue(StreamDecision d) {
      if (d instanceof StreamDecision.Stop) {
        stop((StreamDecision.Stop) d);
      } else if (!d.released().isEmpty()) {
        queue.offer(d.released());
      }
    }

    /** Under lock. */
    private void stop(StreamDecision.Stop s) {
      stopped = true;
      upstreamDone = true;
      upstream.cancel(); // cut the model off: nothing more is generated for this response
      session.close();
      error = new StreamBlockedException(s.stopVerdict(), s.stoppedAtToken());
    }

    /** Under lock. */
    private void fail(RuntimeException e) {
      stopped = true;
      upstreamDone = true;
      upstream.cancel();
      session.close();
      error = e;
    }

    @Override
    public void request(long n) {
      if (n <= 0) {
        synchronized (lock) {
          if (!upstreamDone) {
            upstreamDone = true;
            stopped = true;
            error = new IllegalArgumentException("request(n) needs n > 0 (Reactive Streams rule 3.9), was " + n);
            upstream.cancel();
            session.close();
          }
        }
      } else {
        requested.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
      }
      drain();
    }

    @Override
    public void cancel() {
      cancelled = true;
      Flow.Subscription s = upstream;
      if (s != null) {
        s.cancel();
      }
      synchronized (lock) {
        session.close();
      }
      queue.clear();
    }

    private void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        if (cancelled) {
          queue.clear();
          return;
        }
        if (stopped && !terminated) {
          // Errors (STOP) do not wait for demand; nothing after the stop point was ever queued.
          terminated = true;
          queue.clear();
          downstream.onError(error);
          return;
        }
        while (requested.get() > 0 && !queue.isEmpty() && !cancelled) {
          String s = queue.poll();
          requested.decrementAndGet();
          downstream.onNext(s);
        }
        if (upstreamDone && queue.isEmpty() && !terminated && !cancelled) {
          terminated = true;
          Throwable e = error;
          if (e != null) {
            downstream.onError(e);
          } else {
            downstream.onComplete();
          }
          return;
        }
        Flow.Subscription up = upstream;
        if (!upstreamDone && up != null && !cancelled) {
          long want = requested.get() - queue.size() - outstanding.get();
          if (want > 0) {
            outstanding.addAndGet(want);
            up.request(want);
          }
        }
        missed = wip.addAndGet(-missed);
      } while (missed != 0);
    }
  }
}
