package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Note;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IncrementalClassifier sessions: committed KV + forked suffix == full classify. */
class StreamingSessionTest {
  static final double TOL = 1e-5;
  /** Largest |stream - classify| seen, printed for the report. */
  static double maxSeen;
  @TempDir static Path root;
  static DecoderGuardClassifier lg3;

  @BeforeAll
  static void load() {
    lg3 = DecoderGuardClassifier.load(Fixtures.model(root.resolve("lg3"), GuardFamily.LLAMA_GUARD_3),
        DecoderOptions.builder().prefillChunkTokens(16).build());
  }

  @AfterAll
  static void close(org.junit.jupiter.api.TestReporter reporter) {
    lg3.close();
    reporter.publishEntry("max |stream - classify|", Double.toString(maxSeen));
  }

  static void assertScoresWithinTolerance(Scores full, Scores streamed, String what) {
    maxSeen = Math.max(maxSeen, Math.abs(full.unsafe() - streamed.unsafe()));
    assertEquals(full.unsafe(), streamed.unsafe(), TOL, what);
    assertEquals(full.categories().keySet(), streamed.categories().keySet(), what);
    for (Map.Entry<String, Double> e : full.categories().entrySet()) {
      maxSeen = Math.max(maxSeen, Math.abs(e.getValue() - streamed.categories().get(e.getKey())));
      assertEquals(e.getValue(), streamed.categories().get(e.getKey()), TOL, what + " " + e.getKey());
    }
    assertEquals(full.truncation(), streamed.truncation(), what);
  }

  static void streamAndCompare(DecoderGuardClassifier c, Conversation prompt, List<String> chunks) {
    streamAndCompare(c, prompt, chunks, true);
  }

  static void streamAndCompare(DecoderGuardClassifier c, Conversation prompt, List<String> chunks,
      boolean withinContext) {
    try (DecoderStreamSession s =
        (DecoderStreamSession) c.open(ClassificationRequest.of(prompt, c.info().taxonomy()))) {
      StringBuilder sofar = new StringBuilder();
      long lastCommitted = 0;
      for (String chunk : chunks) {
        s.append(chunk);
        sofar.append(chunk);
        // only the last few tokens (and the fixed trailer) stay uncommitted: a check costs new tokens + suffix
        // (the fixture's trailer "\n\n" is one token; beyond the context budget the tail is re-read instead)
        assertTrue(!withinContext || s.responseTokens() - s.committedTokens() <= 2 + 1,
            "uncommitted " + (s.responseTokens() - s.committedTokens()));
        assertTrue(s.committedTokens() >= lastCommitted - 2, "commits only roll back at a changed boundary");
        lastCommitted = s.committedTokens();
        Scores full = c.classify(ClassificationRequest.of(prompt.withResponse(sofar.toString()), c.info().taxonomy()));
        assertScoresWithinTolerance(full, s.score(), "after '" + sofar + "'");
      }
    }
  }

  @Test
  void session_scoreAfterEachChunk_equalsClassifyOfTheTextSoFar() {
    streamAndCompare(lg3, Conversation.ofPrompt("How do I change a tyre?"),
        List.of("First, ", "loosen the ", "nuts. Then ", "jack up the car.", "\n\n", "Done", "  "));
  }

  @Test
  void session_chunkSplittingAWord_rollsBackTheChangedBoundary() {
    // "hel" is unknown to the fixture tokenizer (<unk>), "hello" is a word: the boundary token changes
    streamAndCompare(lg3, Conversation.ofPrompt("say hi"), List.of("hel", "lo", " wor", "ld", " hello world hello"));
  }

  @Test
  void session_longResponse_tokenizesOnlyABoundedTailPerAppend() {
    String[] words = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "cat"};
    try (DecoderStreamSession s = (DecoderStreamSession) lg3.open(
        ClassificationRequest.of(Conversation.ofPrompt("hello"), lg3.info().taxonomy()))) {
      StringBuilder sofar = new StringBuilder();
      int maxEncoded = 0;
      for (int i = 0; i < 1200; i++) {
        // mixed deltas: whole words, split words (a changing boundary token) and sentence breaks
        String w = words[(i * 7) % words.length];
        List<String> deltas = i % 5 == 0 ? List.of(" " + w.substring(0, 2), w.substring(2))
            : i % 13 == 0 ? List.of(".\n\n" + w) : List.of(" " + w);
        for (String d : deltas) {
          s.append(d);
          sofar.append(d);
          maxEncoded = Math.max(maxEncoded, s.lastEncodedTokens());
        }
        if (i % 150 == 0 || i == 1199) {
          assertArrayEquals(lg3.preparer().encodeJudged(sofar.toString()), s.currentIds(), "ids after " + i + " words");
          Scores full = lg3.classify(ClassificationRequest.of(Conversation.ofExchange("hello", sofar.toString()),
              lg3.info().taxonomy()));
          assertScoresWithinTolerance(full, s.score(), "after " + i + " words");
        }
      }
      int total = lg3.preparer().encodeJudged(sofar.toString()).length;
      assertTrue(total > 1200, "response tokens " + total);
      // about 2 x 128 characters (~100 fixture tokens: spaces are tokens) per call, twice on a call that also
      // checks a new anchor; re-tokenizing the whole response would read all of it
      assertTrue(maxEncoded <= 300, "tokenized up to " + maxEncoded + " tokens in one append, of " + total);
    }
  }

  @Test
  void guardStream_overDecoderSession_blankThenText_equalsWholeTextChecks() {
    // guard-core's streaming session hands the incremental session only the new text at each check; a response
    // that is blank so far is not classified
    StreamOptions every = StreamOptions.builder().checkEveryTokens(1).holdBackTokens(0).debounce(1).build();
    try (Guard guard = Guard.builder().borrowedClassifier(lg3).noCache().noTimeout().streamOptions(every).build();
        StreamingSession s = guard.openStream(Conversation.ofPrompt("How do I change a tyre?"))) {
      StringBuilder sofar = new StringBuilder();
      for (String token : List.of("  ", "\n", " First", ",", " loosen", " the", " nuts", ".", " Then", " jack")) {
        sofar.append(token);
        StreamDecision d = s.onToken(token);
        Verdict streamed = ((StreamDecision.Continue) d).lastVerdict();
        if (sofar.toString().isBlank()) {
          assertTrue(streamed.scores().isEmpty(), "blank response is not classified");
          assertTrue(streamed.hasNote(Note.Kind.EMPTY_INPUT), streamed.notes().toString());
        } else {
          Verdict whole = guard.checkResponse("How do I change a tyre?", sofar.toString());
          assertEquals(whole.unsafeScore(), streamed.unsafeScore(), TOL, "after '" + sofar + "'");
        }
      }
    }
  }

  @Test
  void score_leavesCommittedCacheBitwiseUnchanged() {
    try (DecoderStreamSession s = (DecoderStreamSession) lg3.open(
        ClassificationRequest.of(Conversation.ofPrompt("hello"), lg3.info().taxonomy()))) {
      s.append("the quick brown fox jumps over the lazy dog and the cat");
      long committed = s.committedTokens();
      int length = s.committedCacheLength();
      byte[][] before = s.committedSnapshot();
      Scores a = s.score();
      Scores b = s.score();
      assertEquals(a, b);
      assertEquals(committed, s.committedTokens());
      assertEquals(length, s.committedCacheLength());
      byte[][] after = s.committedSnapshot();
      for (int i = 0; i < before.length; i++) {
        assertArrayEquals(before[i], after[i], "KV tensor " + i);
      }
    }
  }

  @Test
  void session_overContextBudget_matchesClassifyWithHeadTailTruncation() {
    try (DecoderGuardClassifier small = DecoderGuardClassifier.load(root.resolve("lg3"),
        DecoderOptions.builder().maxContextTokens(300).build())) {
      String words = "the quick brown fox jumps over the lazy dog ".repeat(6);
      streamAndCompare(small, Conversation.ofPrompt("hello"), List.of(words, words, words, "done"), false);
    }
  }

  @Test
  void session_growingPastContextBudgetWordByWord_matchesClassifyWithHeadTailTruncation() {
    // word by word, the session commits almost the whole budget before the response stops fitting; from then on
    // only the head half may stay committed (this used to throw "committed N tokens beyond the head budget")
    try (DecoderGuardClassifier small = DecoderGuardClassifier.load(root.resolve("lg3"),
        DecoderOptions.builder().maxContextTokens(300).build())) {
      String[] words = "the quick brown fox jumps over the lazy dog".split(" ");
      List<String> chunks = new java.util.ArrayList<>();
      for (int i = 0; i < 160; i++) {
        chunks.add(" " + words[i % words.length]);
      }
      streamAndCompare(small, Conversation.ofPrompt("hello"), chunks, false);
    }
  }

  @Test
  void shieldGemmaAndQwen_sessions_equalClassify() {
    for (GuardFamily f : List.of(GuardFamily.SHIELDGEMMA, GuardFamily.QWEN3GUARD_GEN, GuardFamily.LLAMA_GUARD_4)) {
      try (DecoderGuardClassifier c = DecoderGuardClassifier.load(Fixtures.model(root.resolve(f.id()), f))) {
        streamAndCompare(c, Conversation.ofPrompt("tell me a joke about cats"),
            List.of("Sure", ", here ", "is one about a cat."));
      }
    }
  }

  @Test
  void open_onResponseConversation_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> lg3.open(
        ClassificationRequest.of(Conversation.ofExchange("a", "b"), lg3.info().taxonomy())));
  }
}
