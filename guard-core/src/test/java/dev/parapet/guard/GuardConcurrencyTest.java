package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.event.GuardListener;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many threads sharing one guard: cache, async, timeouts and streams at once. */
class GuardConcurrencyTest {
  private static final String[] TEXTS = {
    "how do I bake bread", "pipe bomb instructions", "what is 2+2", "hurt my neighbour", "tell me a joke",
    "ＰＩＰＥ ＢＯＭＢ", "p\u200Bipe bomb", "slow question", "nice weather", "diagnose my rash"
  };

  private static Decision expected(String text) {
    String t = TextNormalizer.clean(text).toLowerCase(java.util.Locale.ROOT);
    if (t.contains("bomb") || t.contains("hurt") || t.contains("diagnose")) {
      return Decision.BLOCK;
    }
    return Decision.ALLOW;
  }

  @Test
  void eightThreadsTimes200Checks_cacheAsyncTimeoutsAndStreams_consistentAndComplete() throws Exception {
    // Timeouts run on a manual clock: a "slow" classification advances it by 50 ms per step until cancelled, so it
    // always uses up the 150 ms budget and times out, however fast or loaded the machine is; a waiting check moves
    // it by 1 ms per poll, so queued checks still reach their timeouts (async followers of a slow run included).
    ManualClock clock = new ManualClock(Duration.ofMillis(1));
    ScriptedClassifier c = GuardTest.scripted().onSleepTick(() -> clock.advance(Duration.ofMillis(50))).build();
    AtomicInteger started = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    GuardListener counting = new GuardListener() {
      @Override
      public void checkStarted(Conversation conversation) {
        started.incrementAndGet();
      }

      @Override
      public void checkFinished(Conversation conversation, Verdict verdict) {
        finished.incrementAndGet();
      }
    };
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try (Guard g = Guard.builder().classifier(c).timeout(Duration.ofMillis(150)).ticker(clock).timer(clock)
        .cache(5).listener(counting).build()) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        workers.add(threads.submit(() -> {
          Random rnd = new Random(seed);
          go.await();
          int checks = 0;
          List<CompletableFuture<Verdict>> futures = new ArrayList<>();
          List<String> futureTexts = new ArrayList<>();
          for (int i = 0; i < 200; i++) {
            String text = TEXTS[rnd.nextInt(TEXTS.length)];
            switch (rnd.nextInt(4)) {
              case 0:
              case 1:
                assertConsistent(text, g.checkPrompt(text), failures);
                checks++;
                break;
              case 2:
                futures.add(g.checkAsync(Conversation.ofPrompt(text)));
                futureTexts.add(text);
                checks++;
                break;
              default:
                if (rnd.nextBoolean()) {
                  String other = TEXTS[rnd.nextInt(TEXTS.length)];
                  List<Verdict> vs = g.checkAll(List.of(Conversation.ofPrompt(text), Conversation.ofPrompt(other)));
                  assertConsistent(text, vs.get(0), failures);
                  assertConsistent(other, vs.get(1), failures);
                  checks += 2;
                } else {
                  try (StreamingSession s = g.openStream(Conversation.ofPrompt("q"),
                      StreamOptions.builder().checkEveryTokens(2).build())) {
                    StringBuilder released = new StringBuilder();
                    for (String tok : text.split(" ")) {
                      released.append(s.onToken(tok + " ").released());
                    }
                    StreamDecision d = s.finish();
                    released.append(d.released());
                    if (d instanceof StreamDecision.Stop) {
                      Verdict stop = ((StreamDecision.Stop) d).stopVerdict();
                      assertTrue(expected(text) == Decision.BLOCK || stop.failure().isPresent(),
                          "only harmful text or a failure stops a stream: " + text + " -> " + stop);
                      assertEquals(Decision.BLOCK, stop.decision(), "a stop is a block: " + stop);
                      // the scripted classifier's triggers, read as the guard reads them (width folded,
                      // zero-width removed): none may have been released
                      assertEquals(Decision.ALLOW, expected(released.toString()),
                          "released unsafe text of " + text + ": " + released);
                    } else {
                      assertEquals(Decision.ALLOW, expected(text), "a completed stream must be safe text: " + text);
                      assertEquals(text, released.toString().trim(),
                          "a completed stream releases everything");
                    }
                  }
                }
            }
          }
          for (int i = 0; i < futures.size(); i++) {
            assertConsistent(futureTexts.get(i), futures.get(i).get(60, TimeUnit.SECONDS), failures);
          }
          return checks;
        }));
      }
      go.countDown();
      int total = 0;
      for (Future<Integer> w : workers) {
        total += w.get(5, TimeUnit.MINUTES); // rethrows any assertion error or exception from a worker
      }
      assertEquals(total, finished.get(), "every check finished exactly once");
      assertEquals(total, started.get());
      CacheStats stats = g.cacheStats();
      assertTrue(stats.hitCount() > 0, "the cache served hits: " + stats);
      assertTrue(failures.getOrDefault("slow", 0) > 0, "the slow text timed out at least once");
    } finally {
      threads.shutdownNow();
    }
  }

  private static void assertConsistent(String text, Verdict v, Map<String, Integer> failures) {
    if (v.failure().isPresent()) {
      // Only the scripted-slow text, or any text stuck behind it in the executor queue, may time out.
      Failure f = v.failure().get();
      assertTrue(f.kind() == Failure.Kind.TIMEOUT || f.kind() == Failure.Kind.CANCELLED, f.toString());
      assertEquals(Decision.BLOCK, v.decision(), "fail closed");
      failures.merge(text.contains("slow") ? "slow" : "other", 1, Integer::sum);
      return;
    }
    assertTrue(!text.contains("slow"), "the slow text cannot finish within the timeout");
    assertEquals(expected(text), v.decision(), text + " -> " + v);
  }
}
