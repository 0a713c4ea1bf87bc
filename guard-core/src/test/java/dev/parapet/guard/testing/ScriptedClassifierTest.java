package dev.parapet.guard.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/** The fake itself: tests elsewhere rely on these behaviours. */
class ScriptedClassifierTest {
  private static ClassificationRequest prompt(String text) {
    return ClassificationRequest.of(Conversation.ofPrompt(text), Taxonomies.llamaGuard3());
  }

  @Test
  void keywordRule_setsUnsafeAndCategory_caseInsensitive() {
    ScriptedClassifier c = ScriptedClassifier.builder().rule("Bomb", "S9", 0.9).build();
    Scores s = c.classify(prompt("a BOMB"));
    assertEquals(0.9, s.unsafe());
    assertEquals(0.9, s.category("S9").getAsDouble());
    assertEquals(0.0, s.category("S1").getAsDouble());
    assertEquals(0.01, c.classify(prompt("bread")).unsafe());
  }

  @Test
  void keywordRule_categoryMissingFromRequestTaxonomy_doesNotApply() {
    ScriptedClassifier c = ScriptedClassifier.builder().rule("bomb", "S9", 0.9).build();
    Scores s = c.classify(ClassificationRequest.of(Conversation.ofPrompt("bomb"),
        Taxonomies.llamaGuard3().without("S9")));
    assertEquals(0.01, s.unsafe());
    assertFalse(s.categories().containsKey("S9"));
  }

  @Test
  void exactRule_returnsScriptedScores() {
    Scores scripted = Scores.builder().unsafe(0.3).controversial(0.4).category("S1", 0.3).category("X9", 0.1).build();
    ScriptedClassifier c = ScriptedClassifier.builder().exact("maybe", scripted).build();
    Scores s = c.classify(prompt("maybe"));
    assertEquals(0.4, s.controversial().getAsDouble());
    assertFalse(s.categories().containsKey("X9"));
  }

  @Test
  void throwOn_throwsClassificationException() {
    ScriptedClassifier c = ScriptedClassifier.builder().throwOn("boom").build();
    assertThrows(ClassificationException.class, () -> c.classify(prompt("boom")));
  }

  @Test
  void sleepOn_endsWhenCancelled() {
    ScriptedClassifier c = ScriptedClassifier.builder().sleepOn("slow", Duration.ofMinutes(5)).build();
    Cancellation cancel = Cancellation.create();
    cancel.cancel();
    assertThrows(CancellationException.class,
        () -> c.classify(new ClassificationRequest(Conversation.ofPrompt("slow"), Taxonomies.llamaGuard3(), cancel)));
    assertEquals(1, c.cancellationsObserved());
  }

  @Test
  void sleepOn_endsWhenInterrupted() {
    ScriptedClassifier c = ScriptedClassifier.builder().sleepOn("slow", Duration.ofMinutes(5)).build();
    Thread.currentThread().interrupt();
    assertThrows(CancellationException.class, () -> c.classify(prompt("slow")));
    assertTrue(Thread.interrupted());
    assertEquals(1, c.cancellationsObserved());
  }

  @Test
  void counters_countCallsAndBatches() {
    ScriptedClassifier c = ScriptedClassifier.safe();
    c.classify(prompt("a"));
    c.classifyBatch(java.util.List.of(prompt("b"), prompt("c")));
    assertEquals(1, c.classifyCalls());
    assertEquals(1, c.batchCalls());
    assertEquals(3, c.requestsScored());
    assertEquals(3, c.requests().size());
  }

  @Test
  void maxInputTokens_reportsTruncation() {
    ScriptedClassifier c = ScriptedClassifier.builder().maxInputTokens(10).build();
    assertEquals(10, c.classify(prompt("x".repeat(50))).truncation().orElseThrow().keptLength());
    assertTrue(c.classify(prompt("short")).truncation().isEmpty());
  }

  @Test
  void manualTicker_movesOnlyWhenTold() {
    ManualTicker t = new ManualTicker();
    assertEquals(0, t.read());
    t.advance(Duration.ofMillis(2));
    assertEquals(2_000_000, t.read());
    assertThrows(IllegalArgumentException.class, () -> t.advance(Duration.ofMillis(-1)));
  }
}
