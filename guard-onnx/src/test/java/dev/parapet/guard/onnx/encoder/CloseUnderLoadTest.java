package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Failure;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, defect 1: closing a Guard while checks of ~100k chars run on the real default model crashed the
 * test JVM (SIGSEGV inside OrtSession.run: the session was freed under the native run). A crash of the forked
 * Surefire JVM fails the build, so this test passing means the JVM survived.
 */
class CloseUnderLoadTest {
  @Test
  void closingAGuardWhileLongChecksRun_cancelsThemAndDoesNotCrash() throws Exception {
    EncoderGuardClassifier real = SharedModel.load();
    CountDownLatch entered = new CountDownLatch(1);
    Classifier spy = new Classifier() {
      @Override
      public ClassifierInfo info() {
        return real.info();
      }

      @Override
      public Scores classify(ClassificationRequest request) {
        entered.countDown();
        return real.classify(request);
      }

      @Override
      public void close() {
        real.close();
      }
    };
    String text = "Tell me about the history of bread baking in small villages. ".repeat(1600); // ~100k chars
    Guard g = Guard.builder().classifier(spy).noCache().build();
    List<CompletableFuture<Verdict>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(g.checkAsync(Conversation.ofPrompt(text + i)));
    }
    AtomicReference<Verdict> sync = new AtomicReference<>();
    Thread caller = new Thread(() -> sync.set(g.checkPrompt(text + "sync")));
    caller.start();
    assertTrue(entered.await(60, TimeUnit.SECONDS));
    g.close();
    assertTrue(real.model().isClosed());
    assertEquals(0, real.model().leases(), "the model was freed while calls still held it");
    caller.join(60_000);
    assertTrue(sync.get() != null, "the synchronous check did not return");
    for (CompletableFuture<Verdict> f : futures) {
      try {
        Verdict v = f.get(60, TimeUnit.SECONDS);
        v.failure().ifPresent(fail -> assertEquals(Failure.Kind.CANCELLED, fail.kind(), v.toString()));
      } catch (java.util.concurrent.ExecutionException e) {
        assertTrue(e.getCause() instanceof IllegalStateException, "queued checks: closed before they ran");
      }
    }
  }
}
