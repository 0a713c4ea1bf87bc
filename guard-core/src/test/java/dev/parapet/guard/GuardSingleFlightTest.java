package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Issue 18: concurrent identical checks share one classification (single-flight), with its failure semantics. */
class GuardSingleFlightTest {
  private static final String TEXT = "how do I bake bread";

  /**
   * Each classify call waits for {@link #release} or its cancellation (an interrupt does not stop it, as it does
   * not stop a native ONNX Runtime run), then answers with {@link #answer}: scores, or an exception to throw.
   * Records the requests' cancellations.
   */
  static final class GatedClassifier implements Classifier {
    final AtomicInteger calls = new AtomicInteger();
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch release = new CountDownLatch(1);
    final AtomicReference<Object> answer = new AtomicReference<>(Scores.builder().unsafe(0.9).category("S9", 0.9)
        .build());
    final List<Cancellation> cancellations = new CopyOnWriteArrayList<>();
    final AtomicInteger activeAtClose = new AtomicInteger(-1);
    final AtomicInteger active = new AtomicInteger();

    @Override
    public ClassifierInfo info() {
      return new ClassifierInfo("gated", Taxonomies.llamaGuard3(),
          ClassifierInfo.capabilities(Capability.PROMPT, Capability.RESPONSE), 512, "none");
    }

    @Override
    public Scores classify(ClassificationRequest request) {
      calls.incrementAndGet();
      active.incrementAndGet();
      try {
        cancellations.add(request.cancellation());
        CountDownLatch gate = release;
        boolean interrupted = false;
        try (var reg = request.cancellation().onCancel(gate::countDown)) {
          entered.countDown();
          while (true) {
            try {
              gate.await(60, TimeUnit.SECONDS);
              break;
            } catch (InterruptedException e) {
              interrupted = true; // like a native run: only the cancellation stops it
            }
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        request.cancellation().throwIfCancelled();
        Object a = answer.get();
        if (a instanceof RuntimeException e) {
          throw e;
        }
        return (Scores) a;
      } finally {
        active.decrementAndGet();
      }
    }

    @Override
    public void close() {
      activeAtClose.compareAndSet(-1, active.get());
    }
  }

  private static void awaitState(BooleanSupplier state, String what) throws InterruptedException {
    for (int i = 0; i < 6000 && !state.getAsBoolean(); i++) {
      Thread.sleep(5); // waits for a state, asserts nothing about time
    }
    assertTrue(state.getAsBoolean(), "never reached: " + what);
  }

  private static DefaultGuard guard(Classifier c, Duration timeout) {
    Guard.Builder b = Guard.builder().classifier(c);
    b = timeout == null ? b.noTimeout() : b.timeout(timeout);
    return (DefaultGuard) b.build();
  }

  @Test
  void check_eightConcurrentIdenticalMisses_oneClassificationAndEightEqualVerdicts() throws Exception {
    GatedClassifier c = new GatedClassifier();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    ExecutorService pool = Executors.newFixedThreadPool(16); // async checks each hold a pool thread while waiting
    try (DefaultGuard g = (DefaultGuard) Guard.builder().classifier(c).noTimeout().executor(pool).build()) {
      List<Future<Verdict>> out = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        out.add(i % 2 == 0 ? callers.submit(() -> g.checkPrompt(TEXT)) : g.checkAsync(Conversation.ofPrompt(TEXT)));
      }
      awaitState(() -> g.sharedWaiters() == 8, "8 callers waiting on one run");
      assertTrue(c.entered.await(30, TimeUnit.SECONDS)); // the leader's run may still have been queued
      assertEquals(1, c.calls.get());
      c.release.countDown();
      List<Verdict> verdicts = new ArrayList<>();
      for (Future<Verdict> f : out) {
        verdicts.add(f.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, c.calls.get(), "one classification for eight identical concurrent checks");
      for (Verdict v : verdicts) {
        assertTrue(v.isBlocked(), v.toString());
        assertTrue(v.failure().isEmpty(), v.toString());
        assertEquals(verdicts.get(0).scores(), v.scores());
        assertEquals(verdicts.get(0).triggered(), v.triggered());
      }
      // and it was cached: a later check is a hit, still one classification
      assertTrue(g.checkPrompt(TEXT).cached());
      assertEquals(1, c.calls.get());
      assertEquals(0, g.sharedWaiters());
    } finally {
      callers.shutdownNow();
      pool.shutdownNow();
    }
  }

  @Test
  void check_sharedRunFails_waitersGetTheFailureAndALaterCheckClassifiesAgain() throws Exception {
    GatedClassifier c = new GatedClassifier();
    c.answer.set(new ClassificationException("model exploded"));
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (DefaultGuard g = guard(c, null)) {
      List<Future<Verdict>> out = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        out.add(callers.submit(() -> g.checkPrompt(TEXT)));
      }
      awaitState(() -> g.sharedWaiters() == 4, "4 callers waiting on one run");
      c.release.countDown();
      for (Future<Verdict> f : out) {
        Verdict v = f.get(30, TimeUnit.SECONDS);
        assertEquals(Failure.Kind.CLASSIFIER_ERROR, v.failure().orElseThrow().kind(), v.toString());
        assertTrue(v.isBlocked(), "fails closed: " + v);
      }
      assertEquals(1, c.calls.get());
      // the failure was neither cached nor handed to a later caller
      c.answer.set(Scores.builder().unsafe(0.01).build());
      Verdict later = g.checkPrompt(TEXT);
      assertTrue(later.failure().isEmpty(), later.toString());
      assertFalse(later.cached());
      assertEquals(2, c.calls.get());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void checkAsync_oneCallerCancels_theOthersRunGoesOnAndTheLastToLeaveCancelsIt() throws Exception {
    GatedClassifier c = new GatedClassifier();
    try (DefaultGuard g = guard(c, null)) {
      CompletableFuture<Verdict> first = g.checkAsync(Conversation.ofPrompt(TEXT));
      CompletableFuture<Verdict> second = g.checkAsync(Conversation.ofPrompt(TEXT));
      awaitState(() -> g.sharedWaiters() == 2, "2 callers waiting on one run");
      assertTrue(first.cancel(true));
      awaitState(() -> g.sharedWaiters() == 1, "the cancelled caller left");
      assertFalse(c.cancellations.get(0).isCancelled(), "one caller's cancel stopped another's classification");
      c.release.countDown();
      Verdict v = second.get(30, TimeUnit.SECONDS);
      assertTrue(v.failure().isEmpty(), v.toString());
      assertTrue(v.isBlocked());
      assertEquals(1, c.calls.get());

      // both leave: the run is cancelled (its native work terminated)
      c.release = new CountDownLatch(1);
      String other = "what is the capital of France";
      CompletableFuture<Verdict> a = g.checkAsync(Conversation.ofPrompt(other));
      CompletableFuture<Verdict> b = g.checkAsync(Conversation.ofPrompt(other));
      awaitState(() -> g.sharedWaiters() == 2 && c.calls.get() == 2, "2 callers waiting on the second run");
      a.cancel(true);
      assertFalse(c.cancellations.get(1).isCancelled());
      b.cancel(true);
      awaitState(() -> c.cancellations.get(1).isCancelled(), "the abandoned run cancelled");
      awaitState(() -> g.sharedWaiters() == 0, "no run left");
    }
  }

  @Test
  void check_leaderInterrupted_followerStillGetsTheVerdictFromTheSameRun() throws Exception {
    GatedClassifier c = new GatedClassifier();
    try (DefaultGuard g = guard(c, null)) {
      AtomicReference<Verdict> leader = new AtomicReference<>();
      Thread t1 = new Thread(() -> leader.set(g.checkPrompt(TEXT)));
      t1.start();
      assertTrue(c.entered.await(30, TimeUnit.SECONDS));
      CompletableFuture<Verdict> follower = CompletableFuture.supplyAsync(() -> g.checkPrompt(TEXT));
      awaitState(() -> g.sharedWaiters() == 2, "the follower joined");
      t1.interrupt();
      t1.join(30_000);
      assertEquals(Failure.Kind.CANCELLED, leader.get().failure().orElseThrow().kind());
      assertFalse(c.cancellations.get(0).isCancelled());
      c.release.countDown();
      Verdict v = follower.get(30, TimeUnit.SECONDS);
      assertTrue(v.failure().isEmpty(), v.toString());
      assertEquals(1, c.calls.get());
    }
  }

  @Test
  void check_soleCallerTimesOut_runCancelledNotCachedAndTheNextCheckClassifiesAfresh() throws Exception {
    GatedClassifier c = new GatedClassifier();
    try (DefaultGuard g = guard(c, Duration.ofMillis(200))) {
      Verdict v = g.checkPrompt(TEXT);
      assertEquals(Failure.Kind.TIMEOUT, v.failure().orElseThrow().kind(), v.toString());
      awaitState(() -> c.cancellations.get(0).isCancelled(), "the abandoned run cancelled");
      awaitState(() -> g.sharedWaiters() == 0, "no run left");
      c.release.countDown(); // the next call does not wait
      c.release = new CountDownLatch(0);
      Verdict next = g.checkPrompt(TEXT);
      assertTrue(next.failure().isEmpty(), next.toString());
      assertEquals(2, c.calls.get());
    }
  }

  @Test
  void close_whileCallersWaitOnASharedRun_allCancelledAndClassifierClosedAfterTheRunReturned() throws Exception {
    GatedClassifier c = new GatedClassifier();
    DefaultGuard g = guard(c, null);
    ExecutorService callers = Executors.newFixedThreadPool(3);
    try {
      List<Future<Verdict>> out = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        out.add(callers.submit(() -> g.checkPrompt(TEXT)));
      }
      assertTrue(c.entered.await(30, TimeUnit.SECONDS)); // the shared run is inside the classifier
      awaitState(() -> g.sharedWaiters() == 3, "3 callers waiting on one run");
      g.close();
      assertEquals(0, c.activeAtClose.get(), "the classifier was closed while the shared run was inside it");
      for (Future<Verdict> f : out) {
        Verdict v = f.get(30, TimeUnit.SECONDS);
        assertEquals(Failure.Kind.CANCELLED, v.failure().orElseThrow().kind(), v.toString());
        assertTrue(v.isBlocked());
      }
      assertEquals(1, c.calls.get());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void check_cacheOff_noSharing_everyCallClassifies() throws Exception {
    GatedClassifier c = new GatedClassifier();
    c.release.countDown();
    try (Guard g = Guard.builder().classifier(c).noCache().build()) {
      g.checkPrompt(TEXT);
      g.checkPrompt(TEXT);
      assertEquals(2, c.calls.get());
    }
  }

  @Test
  void cancellationException_isNotAClassifierError() {
    // guards the mapping used for shared runs: a terminated run is CANCELLED, never CLASSIFIER_ERROR
    GatedClassifier c = new GatedClassifier();
    c.answer.set(new CancellationException("terminated"));
    c.release.countDown();
    try (Guard g = Guard.builder().classifier(c).build()) {
      assertEquals(Failure.Kind.CANCELLED, g.checkPrompt(TEXT).failure().orElseThrow().kind());
    }
  }
}
