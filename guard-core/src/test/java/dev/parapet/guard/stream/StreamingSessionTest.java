package dev.parapet.guard.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Failure;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Note;
import dev.parapet.guard.Target;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.event.GuardListener;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class StreamingSessionTest {
  private static final Conversation PROMPT = Conversation.ofPrompt("Tell me about chemistry.");

  private static ScriptedClassifier.Builder scripted() {
    return ScriptedClassifier.builder().rule("bomb", "S9", 0.9).throwOn("explode-classifier")
        .sleepOn("slow", Duration.ofSeconds(30));
  }

  private static StreamOptions every(int n) {
    return StreamOptions.builder().checkEveryTokens(n).checkAtSentenceEnd(false).build();
  }

  private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; i < 2000 && !condition.getAsBoolean(); i++) {
      Thread.sleep(5);
    }
    assertTrue(condition.getAsBoolean(), what);
  }

  @Test
  void onToken_releasesNothingBeforeACheckCoveringItPassed() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build(); StreamingSession s = g.openStream(PROMPT, every(3))) {
      assertEquals("", s.onToken("Water ").released());
      assertEquals("", s.onToken("is ").released());
      assertEquals(0, c.requestsScored(), "no check yet");
      StreamDecision d = s.onToken("wet. ");
      assertEquals("Water is wet. ", d.released());
      assertEquals(1, c.requestsScored());
      assertEquals(Conversation.ofExchange("Tell me about chemistry.", "Water is wet. "),
          c.requests().get(0).conversation());
      assertEquals(3, s.tokensSeen());
      assertEquals(Target.RESPONSE, s.lastVerdict().orElseThrow().target());
      StreamDecision end = s.finish();
      assertInstanceOf(StreamDecision.Complete.class, end);
      assertEquals("", end.released());
    }
  }

  @Test
  void onToken_unsafeText_stopsAndNeverReleasesAgain() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build(); StreamingSession s = g.openStream(PROMPT, every(1))) {
      StringBuilder released = new StringBuilder();
      released.append(s.onToken("To build ").released());
      released.append(s.onToken("a ").released());
      StreamDecision d = s.onToken("bomb, ");
      assertTrue(d.isStop());
      StreamDecision.Stop stop = (StreamDecision.Stop) d;
      assertEquals("To build a ", released.toString());
      assertEquals("bomb, ", stop.withheld());
      assertEquals(3, stop.stoppedAtToken());
      assertTrue(stop.stopVerdict().isBlocked());
      assertEquals("S9", stop.stopVerdict().triggered().get(0).code());
      assertTrue(s.stopped());
      int calls = c.requestsScored();
      assertSame(stop, s.onToken("first take"));
      assertSame(stop, s.onToken("the pipe"));
      assertSame(stop, s.finish());
      assertEquals("", s.onToken("x").released());
      assertEquals(calls, c.requestsScored(), "no checks after STOP");
      assertEquals(3, s.tokensSeen(), "tokens after STOP are ignored");
    }
  }

  @Test
  void holdBack_keepsTheLastCheckedTokensUntilLaterChecksPass() {
    try (Guard g = Guard.builder().classifier(scripted().build()).build();
        StreamingSession s = g.openStream(PROMPT,
            StreamOptions.builder().checkEveryTokens(1).checkAtSentenceEnd(false).holdBackTokens(2).build())) {
      assertEquals("", s.onToken("a").released());
      assertEquals("", s.onToken("b").released());
      assertEquals("a", s.onToken("c").released());
      assertEquals("b", s.onToken("d").released());
      StreamDecision end = s.finish();
      assertEquals("cd", end.released());
      assertInstanceOf(StreamDecision.Complete.class, end);
    }
  }

  @Test
  void holdBack_unsafeLaterToken_heldTextIsWithheld() {
    try (Guard g = Guard.builder().classifier(scripted().build()).build();
        StreamingSession s = g.openStream(PROMPT,
            StreamOptions.builder().checkEveryTokens(1).checkAtSentenceEnd(false).holdBackTokens(2).build())) {
      s.onToken("a");
      s.onToken("b");
      assertEquals("a", s.onToken("c").released());
      StreamDecision d = s.onToken("bomb");
      assertEquals("bcbomb", ((StreamDecision.Stop) d).withheld());
    }
  }

  @Test
  void debounce_needsConsecutiveUnsafeChecks_andWithholdsTheirText() {
    try (Guard g = Guard.builder().classifier(scripted().build()).build();
        StreamingSession s = g.openStream(PROMPT,
            StreamOptions.builder().checkEveryTokens(1).checkAtSentenceEnd(false).debounce(2).build())) {
      assertEquals("ok ", s.onToken("ok ").released());
      StreamDecision first = s.onToken("bomb ");
      assertFalse(first.isStop());
      assertEquals("", first.released(), "text covered by an unsafe check is not released");
      assertTrue(first.verdict().orElseThrow().isBlocked());
      StreamDecision second = s.onToken("more ");
      assertTrue(second.isStop());
      assertEquals("bomb more ", ((StreamDecision.Stop) second).withheld());
    }
  }

  @Test
  void finish_checksTheFullText_releasesTheRestOnlyIfItPasses() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build()) {
      try (StreamingSession s = g.openStream(PROMPT, every(100))) {
        s.onToken("Salt ");
        s.onToken("is NaCl");
        StreamDecision end = s.finish();
        assertEquals(new StreamDecision.Complete("Salt is NaCl", end.verdict().orElseThrow()), end);
        assertEquals("Salt is NaCl", c.requests().get(c.requests().size() - 1).conversation().last().text());
        assertSame(end, s.finish(), "finish is idempotent");
        assertThrows(IllegalStateException.class, () -> s.onToken("late"));
      }
      try (StreamingSession s = g.openStream(PROMPT, every(2))) {
        assertEquals("a b ", s.onToken("a ").released() + s.onToken("b ").released());
        s.onToken("bomb");
        StreamDecision end = s.finish();
        assertTrue(end.isStop());
        assertEquals("bomb", ((StreamDecision.Stop) end).withheld());
      }
    }
  }

  @Test
  void finish_noTokens_completesEmptyWithoutCallingTheClassifier() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build(); StreamingSession s = g.openStream(PROMPT)) {
      StreamDecision end = s.finish();
      assertInstanceOf(StreamDecision.Complete.class, end);
      assertEquals(List.of("empty-input: not classified"),
          end.verdict().orElseThrow().notes().stream().map(Note::toString).toList());
      assertEquals(0, c.requestsScored());
    }
  }

  @Test
  void defaults_every32Tokens_noSentenceChecks() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build();
        StreamingSession s = g.openStream(PROMPT)) {
      assertEquals("", s.onToken("Hello world. ").released(), "no check at a sentence end by default");
      StringBuilder expected = new StringBuilder("Hello world. ");
      for (int i = 2; i < 32; i++) {
        assertEquals("", s.onToken("w" + i + " ").released(), "token " + i);
        expected.append("w").append(i).append(' ');
      }
      expected.append("last ");
      assertEquals(expected.toString(), s.onToken("last ").released(), "the 32nd token triggers the check");
    }
    assertEquals(32, StreamOptions.defaults().checkEveryTokens());
    assertEquals(false, StreamOptions.defaults().checkAtSentenceEnd());
  }

  @Test
  void sentenceEnd_triggersACheck() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build();
        StreamingSession s = g.openStream(PROMPT,
            StreamOptions.builder().checkEveryTokens(100).checkAtSentenceEnd(true).build())) {
      assertEquals("", s.onToken("Hello").released());
      assertEquals("Hello world. ", s.onToken(" world. ").released());
      assertEquals("", s.onToken("Next").released());
      assertEquals("Next line\n", s.onToken(" line\n").released());
      assertEquals("", s.onToken("\u4F60\u597D").released());
      assertEquals("\u4F60\u597D\u3002", s.onToken("\u3002").released());
    }
  }

  @Test
  void classifierFailureMidStream_failClosed_stops() {
    try (Guard g = Guard.builder().classifier(scripted().build()).build();
        StreamingSession s = g.openStream(PROMPT, every(1))) {
      assertEquals("fine ", s.onToken("fine ").released());
      StreamDecision d = s.onToken("explode-classifier");
      assertTrue(d.isStop());
      Verdict v = d.verdict().orElseThrow();
      assertEquals(Failure.Kind.CLASSIFIER_ERROR, v.failure().orElseThrow().kind());
    }
  }

  @Test
  void classifierFailureMidStream_failOpen_releases() {
    try (Guard g = Guard.builder().classifier(scripted().build()).policy(PolicySpec.parse("onError=open")).build();
        StreamingSession s = g.openStream(PROMPT, every(1))) {
      StreamDecision d = s.onToken("explode-classifier");
      assertFalse(d.isStop());
      assertEquals("explode-classifier", d.released());
      assertTrue(d.verdict().orElseThrow().failure().isPresent());
    }
  }

  @Test
  void incrementalClassifier_isUsed_andEverySessionIsClosed() {
    ScriptedClassifier c = scripted().incremental(true).build();
    try (Guard g = Guard.builder().classifier(c).policy(PolicySpec.parse("onError=open")).build()) {
      for (int i = 0; i < 40; i++) {
        StreamingSession s = g.openStream(PROMPT, every(2));
        s.onToken("safe ");
        s.onToken("text ");
        switch (i % 4) {
          case 0:
            s.finish(); // complete
            break;
          case 1:
            s.onToken("bomb"); // stop on the next check
            s.onToken("!");
            assertTrue(s.stopped());
            break;
          case 2:
            s.onToken("explode-classifier"); // failure (open): incremental state dropped, falls back
            s.onToken(".");
            break;
          default:
            break; // abandoned without finish
        }
        s.close();
        s.close();
      }
      assertEquals(40, c.sessionsOpened());
      assertEquals(40, c.sessionsClosed());
      assertTrue(c.incrementalScores() > 0);
    }
  }

  @Test
  void incrementalClassifier_stopAndFinish_closeTheStateBeforeClose() {
    ScriptedClassifier c = scripted().incremental(true).build();
    try (Guard g = Guard.builder().classifier(c).build()) {
      StreamingSession stopped = g.openStream(PROMPT, every(1));
      stopped.onToken("bomb");
      assertEquals(1, c.sessionsClosed(), "closed at STOP");
      StreamingSession finished = g.openStream(PROMPT, every(1));
      finished.onToken("ok");
      finished.finish();
      assertEquals(2, c.sessionsClosed(), "closed at finish");
      assertEquals(0, c.classifyCalls(), "the incremental path never re-classifies the whole text");
    }
  }

  @Test
  void incrementalTimeout_stopsAndTheStateIsStillClosed() throws Exception {
    ScriptedClassifier c = scripted().incremental(true).build();
    try (Guard g = Guard.builder().classifier(c).timeout(Duration.ofSeconds(1)).build();
        StreamingSession s = g.openStream(PROMPT, every(1))) {
      assertEquals("a ", s.onToken("a ").released());
      StreamDecision d = s.onToken("slow");
      assertTrue(d.isStop());
      assertEquals(Failure.Kind.TIMEOUT, d.verdict().orElseThrow().failure().orElseThrow().kind());
      waitUntil(() -> c.sessionsClosed() == 1, "the abandoned incremental state is closed by its worker");
      assertEquals(1, c.cancellationsObserved());
    }
  }

  @Test
  void partialTexts_neverUseTheResultCache() {
    try (Guard g = Guard.builder().classifier(scripted().build()).build();
        StreamingSession s = g.openStream(PROMPT, every(1))) {
      s.onToken("a");
      s.onToken("b");
      s.finish();
      assertEquals(0, g.cacheStats().requestCount());
      assertEquals(0, g.cacheStats().estimatedSize());
    }
  }

  @Test
  void maxResponseChars_stopsWithNote() {
    try (Guard g = Guard.builder().classifier(scripted().build()).build();
        StreamingSession s = g.openStream(PROMPT,
            StreamOptions.builder().checkEveryTokens(1).maxResponseChars(5).build())) {
      assertEquals("abc", s.onToken("abc").released());
      StreamDecision d = s.onToken("def");
      assertTrue(d.isStop());
      assertEquals(List.of("response-too-long: 6 chars > maxResponseChars 5"),
          d.verdict().orElseThrow().notes().stream().map(Note::toString).toList());
      assertEquals("def", ((StreamDecision.Stop) d).withheld());
    }
  }

  @Test
  void surrogatePairSplitAcrossTokens_reachesTheClassifierIntact() {
    ScriptedClassifier c = scripted().build();
    try (Guard g = Guard.builder().classifier(c).build(); StreamingSession s = g.openStream(PROMPT, every(2))) {
      s.onToken("smile \uD83D");
      StreamDecision d = s.onToken("\uDE00");
      assertEquals("smile \uD83D\uDE00", d.released());
      assertEquals("smile \uD83D\uDE00", c.requests().get(0).conversation().last().text());
    }
  }

  @Test
  void listener_streamEvents() {
    List<String> events = new ArrayList<>();
    GuardListener l = new GuardListener() {
      @Override
      public void streamOpened(Conversation c) {
        events.add("opened");
      }

      @Override
      public void streamStopped(Conversation c, Verdict v, int tokens) {
        events.add("stopped@" + tokens);
      }

      @Override
      public void streamCompleted(Conversation c, Verdict v, int tokens) {
        events.add("completed@" + tokens);
      }
    };
    try (Guard g = Guard.builder().classifier(scripted().build()).listener(l).build()) {
      try (StreamingSession s = g.openStream(PROMPT, every(1))) {
        s.onToken("x");
        s.onToken("bomb");
      }
      try (StreamingSession s = g.openStream(PROMPT, every(1))) {
        s.onToken("x");
        s.finish();
      }
    }
    assertEquals(List.of("opened", "stopped@2", "opened", "completed@1"), events);
  }

  @Test
  void misuse_throwsClearErrors() {
    Guard g = Guard.builder().classifier(scripted().build()).build();
    StreamingSession s = g.openStream(PROMPT);
    assertEquals("token", assertThrows(NullPointerException.class, () -> s.onToken(null)).getMessage());
    s.close();
    assertThrows(IllegalStateException.class, () -> s.onToken("x"));
    assertThrows(IllegalStateException.class, s::finish);
    StreamingSession s2 = g.openStream(PROMPT);
    g.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s2.onToken("x"));
    assertTrue(e.getMessage().contains("Guard"), e.getMessage());
  }

  @Test
  void randomStreams_releasedTextIsAPrefixAndNeverContainsUnsafeText() {
    Random rnd = new Random(42);
    String[] vocab = {"the ", "cat ", "sat", ". ", "bo", "mb", "bomb ", "\n", "on ", "mat", "!"};
    AtomicInteger stops = new AtomicInteger();
    try (Guard g = Guard.builder().classifier(scripted().build()).noCache().build()) {
      for (int trial = 0; trial < 300; trial++) {
        StreamOptions o = StreamOptions.builder().checkEveryTokens(1 + rnd.nextInt(5))
            .checkAtSentenceEnd(rnd.nextBoolean()).holdBackTokens(rnd.nextInt(3)).debounce(1 + rnd.nextInt(2)).build();
        StringBuilder full = new StringBuilder();
        StringBuilder released = new StringBuilder();
        try (StreamingSession s = g.openStream(PROMPT, o)) {
          StreamDecision d = null;
          int n = 1 + rnd.nextInt(20);
          for (int i = 0; i < n; i++) {
            String tok = vocab[rnd.nextInt(vocab.length)];
            if (!s.stopped()) {
              full.append(tok);
            }
            d = s.onToken(tok);
            released.append(d.released());
          }
          d = s.finish();
          released.append(d.released());
          assertTrue(full.toString().startsWith(released.toString()), "released text is a prefix of the stream");
          assertFalse(released.toString().contains("bomb"), "unsafe text was released: " + released);
          if (d.isStop()) {
            stops.incrementAndGet();
            assertEquals(full.toString(), released + ((StreamDecision.Stop) d).withheld());
          } else {
            assertEquals(full.toString(), released.toString(), "a completed stream releases everything");
          }
        }
      }
    }
    assertTrue(stops.get() > 0, "the random streams exercised STOP");
  }
}
