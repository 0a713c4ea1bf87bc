package dev.parapet.guard.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Failure;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.decoder.CategoryMode;
import dev.parapet.guard.onnx.decoder.DecoderPrompts;
import dev.parapet.guard.onnx.testing.DecoderFixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.testing.FakeVllmServer;
import dev.parapet.guard.remote.testing.FakeVllmServer.Reply;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the server can do wrong, each against the fake on 127.0.0.1: every failure is a ClassificationException
 * that says what happened; only 429/503 are retried; the breaker opens, fails fast, and recovers. No sleeps: pauses
 * are recorded, time comes from a manual clock, and a slow server is held on a latch.
 */
class RemoteFailureTest {
  @TempDir
  static Path dir;
  static Path lg3;
  static ContentTokenizer tok;
  static ClassificationRequest request;
  static DecoderPrompts.Read binary;

  FakeVllmServer fake;
  Scripted.RecordingSleeper sleeper;
  Scripted.ManualClock clock;

  @BeforeAll
  static void fixture() {
    lg3 = DecoderFixtures.model(dir.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
    tok = ContentTokenizer.load(lg3.resolve("tokenizer.json"));
    request = ClassificationRequest.of(Conversation.ofPrompt("What is the capital of France?"),
        GuardFamily.LLAMA_GUARD_3.nativeTaxonomy());
    binary = DecoderPrompts.create(GuardFamily.LLAMA_GUARD_3, tok, CategoryMode.NONE, 8192).render(request).reads()
        .get(0);
  }

  @AfterAll
  static void closeTokenizer() {
    tok.close();
  }

  @BeforeEach
  void start() {
    fake = FakeVllmServer.start();
    sleeper = new Scripted.RecordingSleeper();
    clock = new Scripted.ManualClock();
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  /** NONE mode: one read per request, so request counts are exact. */
  RemoteGuardClassifier.Builder remote() {
    return RemoteGuardClassifier.builder().baseUrl(fake.baseUrl()).model("m").tokenizerDir(lg3)
        .categoryMode(CategoryMode.NONE).sleeper(sleeper).clock(clock).maxConcurrency(2)
        .readTimeout(Duration.ofSeconds(10)).circuitBreaker(100, Duration.ofSeconds(30));
  }

  static String fails(RemoteGuardClassifier c) {
    return assertThrows(ClassificationException.class, () -> c.classify(request)).getMessage();
  }

  @Test
  void status429_isRetriedHonouringRetryAfter_thenSucceeds() {
    fake.enqueue(Reply.error(429, "rate limited").withHeader("Retry-After", "2"),
        Reply.error(429, "rate limited"));
    fake.respondWith(q -> Scripted.ok(binary, 0.3, 0.7));
    try (RemoteGuardClassifier c = remote().retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build()) {
      Scores s = c.classify(request);
      assertEquals(0.7, s.unsafe(), 1e-6);
    }
    assertEquals(3, fake.requests().size());
    assertEquals(2, sleeper.pauses.size());
    assertEquals(Duration.ofSeconds(2), sleeper.pauses.get(0), "Retry-After: 2 is honoured");
    Duration jitter = sleeper.pauses.get(1);
    assertTrue(!jitter.isNegative() && jitter.compareTo(Duration.ofMillis(200)) <= 0,
        "full jitter within initial * 2^1: " + jitter);
  }

  @Test
  void status503_exhaustedRetries_failWithTheCount() {
    fake.respondWith(q -> Reply.error(503, "server is starting"));
    try (RemoteGuardClassifier c = remote().maxRetries(2).build()) {
      String msg = fails(c);
      assertTrue(msg.contains("503") && msg.contains("after 2 retries") && msg.contains("server is starting"), msg);
    }
    assertEquals(3, fake.requests().size());
    assertEquals(2, sleeper.pauses.size());
  }

  @Test
  void retryAfterLongerThanTheLimit_failsAtOnce() {
    fake.respondWith(q -> Reply.error(429, "busy").withHeader("Retry-After", "120"));
    try (RemoteGuardClassifier c = remote().maxRetryAfter(Duration.ofSeconds(10)).build()) {
      String msg = fails(c);
      assertTrue(msg.contains("retry after 120 s"), msg);
    }
    assertEquals(1, fake.requests().size());
    assertTrue(sleeper.pauses.isEmpty());
  }

  @Test
  void status500_isNotRetried() {
    fake.respondWith(q -> Reply.error(500, "CUDA error: an illegal memory access"));
    try (RemoteGuardClassifier c = remote().build()) {
      String msg = fails(c);
      assertTrue(msg.contains("answered 500") && msg.contains("illegal memory access"), msg);
    }
    assertEquals(1, fake.requests().size());
    assertTrue(sleeper.pauses.isEmpty());
  }

  @Test
  void status400And404_sayWhatToCheck() {
    fake.enqueue(Reply.error(400, "This model's maximum context length is 8192 tokens"),
        Reply.error(404, "The model `m` does not exist."));
    try (RemoteGuardClassifier c = remote().build()) {
      String bad = fails(c);
      assertTrue(bad.contains("maximum context length") && bad.contains("--max-model-len"), bad);
      String missing = fails(c);
      assertTrue(missing.contains("does not exist") && missing.contains("--served-model-name"), missing);
    }
  }

  @Test
  void slowServer_timesOutWithTheDeadline() {
    fake.respondWith(q -> Reply.hang());
    try (RemoteGuardClassifier c = remote().readTimeout(Duration.ofMillis(300)).build()) {
      String msg = fails(c);
      assertTrue(msg.contains("within readTimeout 300 ms"), msg);
    } finally {
      fake.releaseHung();
    }
  }

  @Test
  void guardTimeout_cancelsTheInFlightRead_andFreesItsWorker() throws Exception {
    fake.enqueue(Reply.hang());
    fake.respondWith(q -> Scripted.ok(binary, 0.8, 0.2));
    try (Guard guard = Guard.builder()
        .classifier(remote().maxConcurrency(1).readTimeout(Duration.ofSeconds(120)).build())
        .timeout(Duration.ofMillis(500)).noCache().build()) {
      Verdict v = guard.check(request.conversation());
      assertTrue(v.isBlocked(), v.toString());
      assertEquals(Failure.Kind.TIMEOUT, v.failure().orElseThrow().kind(), v.toString());
      // the one worker was interrupted: the next check gets it at once instead of after the 120 s read timeout
      Verdict next = guard.check(request.conversation());
      assertTrue(next.failure().isEmpty(), next.toString());
      assertEquals(0.2, next.unsafeScore(), 1e-6);
    } finally {
      fake.releaseHung();
    }
  }

  @Test
  void concurrency_isBoundedByMaxConcurrency() throws Exception {
    fake.respondWith(q -> Reply.hang());
    List<ClassificationRequest> batch = List.of(request,
        ClassificationRequest.of(Conversation.ofPrompt("Tell me a joke about cats."), request.taxonomy()),
        ClassificationRequest.of(Conversation.ofPrompt("Use kill on Linux."), request.taxonomy()));
    try (RemoteGuardClassifier c = remote().maxConcurrency(2).readTimeout(Duration.ofSeconds(120)).build()) {
      java.util.concurrent.CompletableFuture<List<Scores>> f =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> c.classifyBatch(batch));
      assertTrue(fake.awaitRequests(2, Duration.ofSeconds(20)), "two reads in flight");
      assertFalse(fake.awaitRequests(3, Duration.ofMillis(300)), "the third waits for a worker");
      fake.releaseHung(); // the two hung reads see a closed connection: the batch fails as a whole
      java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class, f::get);
      assertTrue(e.getCause() instanceof ClassificationException, e.toString());
    }
  }

  @Test
  void truncatedJson_andBodyCutMidStream_areMalformedResponses() {
    String full = FakeVllmServer.completion("m", 10, Scripted.top(binary, 0.5, 0.5));
    fake.enqueue(Reply.truncatedJson(full, full.length() / 2), Reply.cutBody(full, 40));
    try (RemoteGuardClassifier c = remote().build()) {
      String truncated = fails(c);
      assertTrue(truncated.contains("malformed or truncated JSON"), truncated);
      String cut = fails(c);
      assertTrue(cut.contains("failed mid-request"), cut);
    }
  }

  @Test
  void connectionReset_andRefused_areReportedAsSuch() {
    fake.enqueue(Reply.reset());
    try (RemoteGuardClassifier c = remote().build()) {
      String reset = fails(c);
      assertTrue(reset.contains("failed mid-request"), reset);
      fake.close();
      String refused = fails(c);
      assertTrue(refused.contains("connection refused"), refused);
    }
  }

  @Test
  void circuitBreaker_opensAfterFailures_failsFast_thenRecoversThroughHalfOpen() {
    fake.respondWith(q -> Reply.error(500, "engine dead"));
    try (RemoteGuardClassifier c = remote().circuitBreaker(4, Duration.ofSeconds(30)).build()) {
      for (int i = 0; i < 4; i++) {
        assertTrue(fails(c).contains("engine dead"));
      }
      assertEquals(CircuitBreaker.State.OPEN, c.breakerState());
      fake.respondWith(q -> Scripted.ok(binary, 0.9, 0.1)); // the server is back, but the breaker does not know
      String fast = fails(c);
      assertTrue(fast.contains("circuit breaker open") && fast.contains("4 of the last 4"), fast);
      assertEquals(4, fake.requests().size(), "an open breaker sends nothing");
      clock.advance(Duration.ofSeconds(31));
      Scores s = c.classify(request); // the half-open probe
      assertEquals(0.1, s.unsafe(), 1e-6);
      assertEquals(CircuitBreaker.State.CLOSED, c.breakerState());
      assertEquals(0.1, c.classify(request).unsafe(), 1e-6);
      assertEquals(6, fake.requests().size());
    }
  }

  @Test
  void circuitBreaker_halfOpenProbeThatFails_opensAgain() {
    fake.respondWith(q -> Reply.reset());
    try (RemoteGuardClassifier c = remote().circuitBreaker(2, Duration.ofSeconds(30)).build()) {
      fails(c);
      fails(c);
      assertEquals(CircuitBreaker.State.OPEN, c.breakerState());
      clock.advance(Duration.ofSeconds(31));
      assertTrue(fails(c).contains("failed mid-request"), "the probe reaches the server");
      assertEquals(CircuitBreaker.State.OPEN, c.breakerState());
      assertTrue(fails(c).contains("circuit breaker open"));
      assertEquals(3, fake.requests().size());
    }
  }

  @Test
  void clientErrors_doNotOpenTheBreaker() {
    fake.respondWith(q -> Reply.error(400, "bad"));
    try (RemoteGuardClassifier c = remote().circuitBreaker(2, Duration.ofSeconds(30)).build()) {
      for (int i = 0; i < 4; i++) {
        fails(c);
      }
      assertEquals(CircuitBreaker.State.CLOSED, c.breakerState());
    }
    assertEquals(4, fake.requests().size());
  }

  @Test
  void fakeRestartedOnTheSamePort_servesAgain() {
    int port = fake.port();
    fake.close();
    try (RemoteGuardClassifier c = remote().build()) {
      assertTrue(fails(c).contains("connection refused"));
      fake = FakeVllmServer.start(port);
      fake.respondWith(q -> Scripted.ok(binary, 0.5, 0.5));
      assertEquals(0.5, c.classify(request).unsafe(), 1e-6);
      assertEquals(1, fake.requests().size());
    }
  }
}
