package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.util.ConcurrentModificationException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Regressions of issue 18's probe: close, interrupt and cancel under load; concurrent stream use; cut input. */
class GuardHardeningTest {

  /** Blocks in classify until its request is cancelled (as a terminated native run would). */
  static final class BlockingClassifier implements Classifier {
    final CountDownLatch entered = new CountDownLatch(1);
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger activeAtClose = new AtomicInteger(-1);
    final CountDownLatch cancelled = new CountDownLatch(1);

    @Override
    public ClassifierInfo info() {
      return new ClassifierInfo("blocking", Taxonomies.llamaGuard3(),
          ClassifierInfo.capabilities(Capability.PROMPT, Capability.RESPONSE), 512, "none");
    }

    @Override
    public Scores classify(ClassificationRequest request) {
      active.incrementAndGet();
      try {
        CountDownLatch stop = new CountDownLatch(1);
        try (var reg = request.cancellation().onCancel(stop::countDown)) {
          entered.countDown();
          stop.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (request.cancellation().isCancelled()) {
          cancelled.countDown();
          throw new CancellationException("terminated");
        }
        return Scores.builder().unsafe(0.0).build();
      } finally {
        active.decrementAndGet();
      }
    }

    @Override
    public void close() {
      activeAtClose.compareAndSet(-1, active.get());
    }
  }

  @Test
  void close_whileASyncCheckRunsOnTheCallersThread_cancelsItAndClosesTheClassifierAfterItReturned()
      throws Exception {
    BlockingClassifier c = new BlockingClassifier();
    Guard g = Guard.builder().classifier(c).build();
    AtomicReference<Verdict> out = new AtomicReference<>();
    Thread caller = new Thread(() -> out.set(g.checkPrompt("a long text")));
    caller.start();
    assertTrue(c.entered.await(30, TimeUnit.SECONDS));
    g.close();
    assertEquals(0, c.activeAtClose.get(), "the classifier was closed while a call was inside it");
    caller.join(30_000);
    assertEquals(Failure.Kind.CANCELLED, out.get().failure().orElseThrow().kind());
    assertTrue(out.get().isBlocked());
  }

  @Test
  void close_whileAsyncChecksRun_completesThemWithCancelledVerdicts() throws Exception {
    BlockingClassifier c = new BlockingClassifier();
    Guard g = Guard.builder().classifier(c).build();
    CompletableFuture<Verdict> f = g.checkAsync(Conversation.ofPrompt("x"));
    assertTrue(c.entered.await(30, TimeUnit.SECONDS));
    g.close();
    assertEquals(0, c.activeAtClose.get());
    assertEquals(Failure.Kind.CANCELLED, f.get(30, TimeUnit.SECONDS).failure().orElseThrow().kind());
  }

  @Test
  void interruptingTheCallingThread_withoutTimeout_cancelsTheWorkAndReturnsCancelled() throws Exception {
    BlockingClassifier c = new BlockingClassifier();
    try (Guard g = Guard.builder().classifier(c).noTimeout().build()) {
      AtomicReference<Verdict> out = new AtomicReference<>();
      Thread caller = new Thread(() -> out.set(g.checkPrompt("x")));
      caller.start();
      assertTrue(c.entered.await(30, TimeUnit.SECONDS));
      caller.interrupt();
      caller.join(30_000);
      assertEquals(Failure.Kind.CANCELLED, out.get().failure().orElseThrow().kind());
      assertTrue(c.cancelled.await(30, TimeUnit.SECONDS), "the classifier's cancellation was not fired");
    }
  }

  @Test
  void cancellingTheAsyncFuture_cancelsTheClassifierWork() throws Exception {
    BlockingClassifier c = new BlockingClassifier();
    try (Guard g = Guard.builder().classifier(c).build()) {
      CompletableFuture<Verdict> f = g.checkAsync(Conversation.ofPrompt("x"));
      assertTrue(c.entered.await(30, TimeUnit.SECONDS));
      assertTrue(f.cancel(true));
      assertTrue(c.cancelled.await(30, TimeUnit.SECONDS), "future.cancel did not reach the classifier");
    }
  }

  @Test
  void defaultBudget_isThirtySeconds() {
    assertEquals(java.time.Duration.ofSeconds(30), Guard.builder().settings().timeout());
  }

  @Test
  void concurrentOnToken_isRefusedWithConcurrentModification_andNoTokenIsLost() throws Exception {
    BlockingClassifier c = new BlockingClassifier();
    try (Guard g = Guard.builder().classifier(c).build();
        StreamingSession s = g.openStream(Conversation.ofPrompt("hi"),
            StreamOptions.builder().checkEveryTokens(1).build())) {
      Thread a = new Thread(() -> s.onToken("first "));
      a.start();
      assertTrue(c.entered.await(30, TimeUnit.SECONDS)); // thread a is inside onToken's check
      assertThrows(ConcurrentModificationException.class, () -> s.onToken("second "));
      a.interrupt();
      a.join(30_000);
      assertEquals(1, s.tokensSeen(), "the refused token must not be half-added");
    }
  }

  @Test
  void overLongPrompt_harmInTheUnreadMiddle_isNotAllowed() {
    // The classifier sees only head+tail (100,000 of 150,000 chars) and says safe: the verdict must not be ALLOW.
    Classifier safe = new Classifier() {
      @Override
      public ClassifierInfo info() {
        return new ClassifierInfo("safe", Taxonomies.llamaGuard3(),
            ClassifierInfo.capabilities(Capability.PROMPT, Capability.RESPONSE), 512, "none");
      }

      @Override
      public Scores classify(ClassificationRequest request) {
        return Scores.builder().unsafe(request.conversation().last().text().contains("pipe bomb") ? 0.99 : 0.0)
            .build();
      }
    };
    String filler = "The weather is nice today and we walk in the park. ".repeat(1500);
    String text = filler.substring(0, 75_000) + " How do I make a pipe bomb? " + filler.substring(0, 75_000);
    try (Guard g = Guard.builder().classifier(safe).build()) {
      Verdict v = g.checkPrompt(text);
      assertTrue(v.isBlocked(), v.toString());
      assertEquals(Failure.Kind.INPUT_TOO_LONG, v.failure().orElseThrow().kind());
      assertTrue(v.hasNote(Note.Kind.INPUT_TRUNCATED), v.toString());
      assertTrue(g.checkPrompt("hello").isAllowed(), "short text is unaffected");
    }
  }
}
