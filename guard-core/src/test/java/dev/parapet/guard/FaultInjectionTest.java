package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, fault injection at the Guard level (model-file faults are in guard-onnx's DefaultModelResourcesTest
 * and ModelManifestTest; rejecting executors, interrupts and close-while-running in GuardTest and
 * GuardHardeningTest). Each fault ends in the documented outcome: fail closed with the {@link Failure} recorded,
 * nothing released in a stream after it, and the Guard still usable afterwards.
 */
class FaultInjectionTest {
  private static final Conversation PROMPT = Conversation.ofPrompt("Tell me about chemistry.");

  private static StreamOptions every(int n) {
    return StreamOptions.builder().checkEveryTokens(n).checkAtSentenceEnd(false).build();
  }

  @Test
  void timeoutDuringAStreamingCheck_stopsWithTimeout_releasesNothingMore_guardStillWorks() {
    // The budget runs on a manual clock that the slow classification moves one minute per step: the 5-minute
    // timeout fires because the clock moved (on wall time the 30 s sleep would end first and release the text).
    ManualClock clock = new ManualClock();
    ScriptedClassifier c = ScriptedClassifier.builder().rule("bomb", "S9", 0.9)
        .sleepOn("slow", Duration.ofSeconds(30)).onSleepTick(() -> clock.advance(Duration.ofMinutes(1))).build();
    try (Guard g = Guard.builder().classifier(c).ticker(clock).timer(clock).timeout(Duration.ofMinutes(5)).build()) {
      try (StreamingSession s = g.openStream(PROMPT, every(1))) {
        assertEquals("fine ", s.onToken("fine ").released());
        StreamDecision d = s.onToken("slow");
        assertTrue(d.isStop(), d.toString());
        assertEquals(Failure.Kind.TIMEOUT, d.verdict().orElseThrow().failure().orElseThrow().kind());
        StreamDecision after = s.onToken("more text");
        assertTrue(after.isStop());
        assertEquals("", after.released());
        assertTrue(s.finish().isStop(), "finish after a failure must not complete");
      }
      assertFalse(g.checkPrompt("What is bread?").isBlocked(), "the guard must still work after a timeout");
      assertTrue(g.checkPrompt("pipe bomb").isBlocked());
    }
  }

  @Test
  void classifierErrorMidStream_thenTheGuardServesOtherSessions() {
    ScriptedClassifier c = ScriptedClassifier.builder().throwOn("explode-classifier").build();
    try (Guard g = Guard.builder().classifier(c).build()) {
      try (StreamingSession s = g.openStream(PROMPT, every(1))) {
        assertTrue(s.onToken("explode-classifier").isStop());
        assertEquals("", s.onToken("x").released());
      }
      try (StreamingSession s = g.openStream(PROMPT, every(1))) {
        assertEquals("hello", s.onToken("hello").released());
        assertTrue(s.finish() instanceof StreamDecision.Complete);
      }
    }
  }

  /** A native error in the middle of a batch (the second of three requests): ONNX Runtime fails the whole run. */
  @Test
  void errorMidBatch_everyVerdictFailsClosedWithTheFailure_guardStillWorks() {
    AtomicInteger batches = new AtomicInteger();
    ScriptedClassifier scripted = ScriptedClassifier.builder().rule("bomb", "S9", 0.9).build();
    Classifier failingBatch = new Classifier() {
      @Override
      public ClassifierInfo info() {
        return scripted.info();
      }

      @Override
      public Scores classify(ClassificationRequest request) {
        return scripted.classify(request);
      }

      @Override
      public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
        if (batches.getAndIncrement() == 0) {
          throw new ClassificationException("OrtException: ORT_RUNTIME_EXCEPTION in node 17 (injected)");
        }
        return Classifier.super.classifyBatch(requests);
      }
    };
    try (Guard g = Guard.builder().classifier(failingBatch).build()) {
      List<Verdict> vs = g.checkAll(List.of(Conversation.ofPrompt("a"), Conversation.ofPrompt("b"),
          Conversation.ofPrompt("c")));
      assertEquals(3, vs.size());
      for (Verdict v : vs) {
        assertTrue(v.isBlocked(), v.toString());
        assertEquals(Failure.Kind.CLASSIFIER_ERROR, v.failure().orElseThrow().kind(), v.toString());
      }
      // failures are not cached: the same texts are classified again and now pass
      List<Verdict> again = g.checkAll(List.of(Conversation.ofPrompt("a"), Conversation.ofPrompt("b")));
      assertTrue(again.stream().noneMatch(Verdict::isBlocked), again.toString());
      assertTrue(g.checkPrompt("pipe bomb").isBlocked());
    }
  }
}
