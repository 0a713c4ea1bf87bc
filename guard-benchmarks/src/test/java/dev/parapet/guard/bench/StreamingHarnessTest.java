package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.testing.ScriptedClassifier;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The benchmark harness on a scripted classifier: each strategy does the checks it claims, in the timed region,
 * and the sessions it opens are closed. (The same methods on real models: {@link BenchmarksRunOnceTest}.)
 */
class StreamingHarnessTest {
  static final Blackhole BH = new Blackhole(
      "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

  private static StreamingTokenBenchmark.Model model(ScriptedClassifier c, int responseTokens) {
    StreamingTokenBenchmark.Model m = new StreamingTokenBenchmark.Model();
    m.responseTokens = responseTokens;
    m.tokens = ResponseText.tokens(responseTokens + StreamingTokenBenchmark.WINDOW);
    m.loaded = LoadedBackend.of(c, null);
    return m;
  }

  @Test
  void naive_onInvocation_checksWholeTextAtEachOfFourTokens() {
    ScriptedClassifier c = ScriptedClassifier.builder().incremental(true).build();
    StreamingTokenBenchmark.Model m = model(c, 64);
    StreamingTokenBenchmark.Naive s = new StreamingTokenBenchmark.Naive();
    s.prime(m);
    assertEquals(0, c.classifyCalls());
    HeapCounter heap = new HeapCounter();
    new StreamingTokenBenchmark().naive(m, s, heap, BH);
    assertEquals(StreamingTokenBenchmark.NAIVE_WINDOW, c.classifyCalls());
    String last = c.requests().get(c.requests().size() - 1).conversation().response().orElseThrow();
    assertEquals(ResponseText.join(m.tokens.subList(0, 64 + StreamingTokenBenchmark.NAIVE_WINDOW)), last);
    assertTrue(heap.heapBytesPerToken > 0);
    assertEquals(StreamingTokenBenchmark.NAIVE_WINDOW, heap.checksInWindow);
    s.close();
    m.close();
  }

  @Test
  void every32_onInvocation_checksWholeTextOnce() {
    ScriptedClassifier c = ScriptedClassifier.safe();
    StreamingTokenBenchmark.Model m = model(c, 256);
    StreamingTokenBenchmark.Every32 s = new StreamingTokenBenchmark.Every32();
    s.prime(m);
    new StreamingTokenBenchmark().every32(m, s, new HeapCounter(), BH);
    assertEquals(1, c.classifyCalls());
    assertEquals(ResponseText.join(m.tokens),
        c.requests().get(0).conversation().response().orElseThrow());
    s.close();
    m.close();
  }

  @Test
  void incremental_primedAndInvoked_usesIncrementalSessionAndClosesIt() {
    ScriptedClassifier c = ScriptedClassifier.builder().incremental(true).build();
    StreamingTokenBenchmark.Model m = model(c, 64);
    StreamingTokenBenchmark.Incremental s = new StreamingTokenBenchmark.Incremental();
    s.prime(m);
    int primed = c.incrementalScores();
    assertTrue(primed >= 64 / 32, "checks while streaming the first 64 tokens: " + primed);
    new StreamingTokenBenchmark().incremental(m, s, new HeapCounter(), BH);
    // the default cadence (every 32 tokens): one check in the 32 timed tokens
    assertEquals(1, c.incrementalScores() - primed);
    assertEquals(0, c.classifyCalls(), "the incremental strategy must not fall back to whole-text checks");
    s.close();
    assertEquals(c.sessionsOpened(), c.sessionsClosed());
    m.close();
    assertTrue(c.isClosed());
  }

  @Test
  void incremental_defaultCadence_isTheWholeTextBaselinesCadence() {
    // `incremental` stands for "ours at the every-32 baseline's cadence": it must run the same checks as every32
    StreamOptions d = StreamOptions.defaults();
    assertEquals(StreamingTokenBenchmark.WINDOW, d.checkEveryTokens(),
        "the default cadence moved: bring back an explicit every-32 variant of the incremental benchmark");
    assertFalse(d.checkAtSentenceEnd(),
        "sentence-end checks are on by default: bring back an explicit every-32 variant of the incremental benchmark");
  }

  @Test
  void streamResponse_wholeResponse_completesAndClosesSession() {
    ScriptedClassifier c = ScriptedClassifier.builder().incremental(true).build();
    StreamingResponseBenchmark b = new StreamingResponseBenchmark();
    b.tokens = ResponseText.tokens(StreamingResponseBenchmark.RESPONSE_TOKENS);
    b.loaded = LoadedBackend.of(c, null);
    assertInstanceOf(StreamDecision.Complete.class, b.streamResponse(BH));
    assertEquals(1, c.sessionsOpened());
    assertEquals(1, c.sessionsClosed());
    b.close();
  }

  @Test
  void guardSink_streamBlocked_throwsInsteadOfMeasuringAStoppedStream() {
    ScriptedClassifier c = ScriptedClassifier.builder().incremental(true).rule("starter", "S1", 0.99).build();
    dev.parapet.guard.Guard blocking = dev.parapet.guard.Guard.builder().classifier(c).noCache().build();
    try (GuardSink sink = new GuardSink(blocking, ResponseText.PROMPT)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
        for (String t : ResponseText.tokens(64)) {
          sink.onToken(t);
        }
      });
      assertTrue(e.getMessage().contains("stopped"), e.getMessage());
    } finally {
      blocking.close();
    }
  }
}
