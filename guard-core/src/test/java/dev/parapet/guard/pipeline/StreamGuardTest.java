package dev.parapet.guard.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // closing the SubmissionPublisher inside its try block is how a test completes the stream
class StreamGuardTest {
  private static final Conversation PROMPT = Conversation.ofPrompt("Tell me a story.");
  private static final StreamOptions EVERY_TOKEN =
      StreamOptions.builder().checkEveryTokens(1).checkAtSentenceEnd(false).build();

  private static Guard guard() {
    return Guard.builder().classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.9).build()).build();
  }

  /** Collects what it receives; requests {@code initial} then one more per item when {@code oneByOne}. */
  static final class Collector implements Flow.Subscriber<String> {
    final List<String> items = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicBoolean completed = new AtomicBoolean();
    final AtomicInteger terminalSignals = new AtomicInteger();
    final long initial;
    final boolean oneByOne;
    volatile Flow.Subscription subscription;

    Collector(long initial, boolean oneByOne) {
      this.initial = initial;
      this.oneByOne = oneByOne;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (initial > 0) {
        s.request(initial);
      }
    }

    @Override
    public void onNext(String item) {
      items.add(item);
      if (oneByOne) {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
      terminalSignals.incrementAndGet();
      done.countDown();
    }

    @Override
    public void onComplete() {
      completed.set(true);
      terminalSignals.incrementAndGet();
      done.countDown();
    }

    void await() throws InterruptedException {
      assertTrue(done.await(30, TimeUnit.SECONDS), "the stream terminated");
    }
  }

  /** Wraps a publisher to observe cancel() and how many tokens downstream logic requested. */
  static final class Spy implements Flow.Publisher<String> {
    final Flow.Publisher<String> inner;
    final AtomicBoolean cancelled = new AtomicBoolean();
    final AtomicInteger requested = new AtomicInteger();

    Spy(Flow.Publisher<String> inner) {
      this.inner = inner;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super String> s) {
      inner.subscribe(new Flow.Subscriber<String>() {
        @Override
        public void onSubscribe(Flow.Subscription sub) {
          s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
              requested.addAndGet((int) Math.min(n, 1_000_000));
              sub.request(n);
            }

            @Override
            public void cancel() {
              cancelled.set(true);
              sub.cancel();
            }
          });
        }

        @Override
        public void onNext(String item) {
          s.onNext(item);
        }

        @Override
        public void onError(Throwable t) {
          s.onError(t);
        }

        @Override
        public void onComplete() {
          s.onComplete();
        }
      });
    }
  }

  @Test
  void safeStream_emitsEverythingAndCompletes() throws Exception {
    try (Guard g = guard(); SubmissionPublisher<String> upstream = new SubmissionPublisher<>()) {
      Collector c = new Collector(Long.MAX_VALUE, false);
      StreamGuard.guard(g, PROMPT, upstream, EVERY_TOKEN).subscribe(c);
      for (String t : List.of("Once ", "upon ", "a ", "time.")) {
        upstream.submit(t);
      }
      upstream.close();
      c.await();
      assertTrue(c.completed.get());
      assertNull(c.error.get());
      assertEquals("Once upon a time.", String.join("", c.items));
    }
  }

  @Test
  void unsafeStream_cancelsUpstream_emitsNothingAfterStop_endsWithStreamBlocked() throws Exception {
    // A publisher that signals on the test thread and ignores cancel(): every signal below has been handled when
    // emit() returns, so "nothing leaks" is checked without sleeping, and against the worst upstream (Reactive
    // Streams rule 3.12 lets a cancelled publisher go on signalling for a while).
    try (Guard g = guard()) {
      ManualPublisher upstream = new ManualPublisher();
      Collector c = new Collector(Long.MAX_VALUE, false);
      StreamGuard.guard(g, PROMPT, upstream, EVERY_TOKEN).subscribe(c);
      upstream.emit("To ");
      upstream.emit("make ");
      upstream.emit("a bomb ");
      assertEquals(0, c.done.getCount(), "the stop was signalled before emit() returned");
      assertTrue(upstream.cancelled.get(), "upstream cancelled at STOP");
      for (int i = 0; i < 5; i++) {
        upstream.emit("more text "); // the model keeps going; nothing may come through
      }
      upstream.complete();
      StreamBlockedException e = assertInstanceOf(StreamBlockedException.class, c.error.get());
      assertTrue(e.verdict().isBlocked());
      assertEquals(3, e.stoppedAtToken());
      assertEquals("To make ", String.join("", c.items));
      assertFalse(c.completed.get(), "no onComplete after the error");
      assertEquals(1, c.terminalSignals.get(), "exactly one terminal signal");
    }
  }

  @Test
  void unsafeFullText_atCompletion_endsWithStreamBlocked() throws Exception {
    try (Guard g = guard(); SubmissionPublisher<String> upstream = new SubmissionPublisher<>()) {
      Collector c = new Collector(Long.MAX_VALUE, false);
      StreamGuard.guard(g, PROMPT, upstream, StreamOptions.builder().checkEveryTokens(100)
          .checkAtSentenceEnd(false).build()).subscribe(c);
      upstream.submit("bo");
      upstream.submit("mb");
      upstream.close();
      c.await();
      assertInstanceOf(StreamBlockedException.class, c.error.get());
      assertEquals(List.of(), c.items);
    }
  }

  @Test
  void backpressure_neverEmitsMoreThanRequested() throws Exception {
    // A publisher that delivers on the calling thread: when submit() returns, whatever could be delivered was.
    try (Guard g = guard(); SubmissionPublisher<String> source = new SubmissionPublisher<>(Runnable::run, 16)) {
      Spy upstream = new Spy(source);
      Collector c = new Collector(2, false);
      StreamGuard.guard(g, PROMPT, upstream, EVERY_TOKEN).subscribe(c);
      for (int i = 0; i < 10; i++) {
        source.submit("t" + i + " ");
      }
      assertEquals(2, c.items.size(), "exactly the requested number of chunks");
      assertTrue(upstream.requested.get() <= 3, "upstream demand follows downstream demand: " + upstream.requested);
      c.subscription.request(Long.MAX_VALUE);
      source.close();
      c.await();
      assertTrue(c.completed.get());
      assertEquals("t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ", String.join("", c.items));
    }
  }

  @Test
  void oneByOneRequests_deliverEverythingIncludingTheFinalChunk() throws Exception {
    try (Guard g = guard(); SubmissionPublisher<String> upstream = new SubmissionPublisher<>()) {
      Collector c = new Collector(1, true);
      StreamGuard.guard(g, PROMPT, upstream, StreamOptions.builder().checkEveryTokens(3)
          .checkAtSentenceEnd(false).build()).subscribe(c);
      for (String t : List.of("a", "b", "c", "d", "e")) {
        upstream.submit(t);
      }
      upstream.close();
      c.await();
      assertTrue(c.completed.get());
      assertEquals(List.of("abc", "de"), c.items);
    }
  }

  @Test
  void upstreamError_isPassedOn() throws Exception {
    try (Guard g = guard(); SubmissionPublisher<String> upstream = new SubmissionPublisher<>()) {
      Collector c = new Collector(Long.MAX_VALUE, false);
      StreamGuard.guard(g, PROMPT, upstream, EVERY_TOKEN).subscribe(c);
      upstream.submit("hi ");
      IllegalStateException boom = new IllegalStateException("model crashed");
      upstream.closeExceptionally(boom);
      c.await();
      assertEquals(boom, c.error.get());
    }
  }

  @Test
  void downstreamCancel_cancelsUpstream() throws Exception {
    try (Guard g = guard(); SubmissionPublisher<String> source = new SubmissionPublisher<>(Runnable::run, 16)) {
      Spy upstream = new Spy(source);
      Collector c = new Collector(Long.MAX_VALUE, false);
      StreamGuard.guard(g, PROMPT, upstream, EVERY_TOKEN).subscribe(c);
      source.submit("a ");
      assertEquals(List.of("a "), c.items);
      c.subscription.cancel();
      assertTrue(upstream.cancelled.get());
      source.submit("b ");
      assertEquals(List.of("a "), c.items, "nothing after cancel");
    }
  }

  @Test
  void closedGuard_subscriberGetsTheError() throws Exception {
    Guard g = guard();
    g.close();
    try (SubmissionPublisher<String> upstream = new SubmissionPublisher<>()) {
      Collector c = new Collector(1, false);
      StreamGuard.guard(g, PROMPT, upstream).subscribe(c);
      c.await();
      assertInstanceOf(IllegalStateException.class, c.error.get());
    }
  }

  @Test
  void nonPositiveRequest_signalsIllegalArgument() throws Exception {
    try (Guard g = guard(); SubmissionPublisher<String> upstream = new SubmissionPublisher<>(Runnable::run, 16)) {
      Collector c = new Collector(0, false);
      StreamGuard.guard(g, PROMPT, upstream, EVERY_TOKEN).subscribe(c);
      c.subscription.request(0);
      c.await();
      assertInstanceOf(IllegalArgumentException.class, c.error.get());
    }
  }

  /**
   * A publisher driven by the test on its own thread: {@link #emit} calls {@code onNext} at once, whatever the
   * demand or a cancel (a misbehaving upstream, to show the relay itself holds the line).
   */
  static final class ManualPublisher implements Flow.Publisher<String> {
    final AtomicBoolean cancelled = new AtomicBoolean();
    private Flow.Subscriber<? super String> subscriber;

    @Override
    public void subscribe(Flow.Subscriber<? super String> s) {
      subscriber = s;
      s.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {
          cancelled.set(true);
        }
      });
    }

    void emit(String token) {
      subscriber.onNext(token);
    }

    void complete() {
      subscriber.onComplete();
    }
  }
}
