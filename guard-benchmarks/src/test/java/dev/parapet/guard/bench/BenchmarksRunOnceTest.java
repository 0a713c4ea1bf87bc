package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import dev.parapet.guard.stream.StreamDecision;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import dev.parapet.guard.testing.TestAssets;

/**
 * Every benchmark method runs once, on real backends with tiny inputs: a 2-layer, hidden-32 decoder with a
 * 2,000-word vocabulary, and responses of 32 tokens. No timing is asserted. The DEFAULT backend needs the
 * embedded model on the classpath (guard-default-model built from models/default/); without it those cases
 * are skipped.
 */
class BenchmarksRunOnceTest {
  static final String TINY_DECODER = "2x32x2000";
  static final Blackhole BH = StreamingHarnessTest.BH;

  static boolean defaultModelPresent() {
    return BenchmarksRunOnceTest.class.getClassLoader()
        .getResource("dev/parapet/guard/model/default/model.onnx") != null;
  }

  private static void assumeAvailable(Backend backend) {
    if (backend == Backend.DEFAULT) {
      TestAssets.assume("default-model", defaultModelPresent(), "the embedded default model is not on the classpath");
    }
  }

  private static StreamingTokenBenchmark.Model model(Backend backend, int responseTokens) {
    StreamingTokenBenchmark.Model m = new StreamingTokenBenchmark.Model();
    m.backend = backend;
    m.responseTokens = responseTokens;
    m.decoder = TINY_DECODER;
    m.load();
    return m;
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void streamingTokenBenchmark_eachMethodOnce_streamsWindowWithoutStopping(Backend backend) {
    assumeAvailable(backend);
    StreamingTokenBenchmark bench = new StreamingTokenBenchmark();
    StreamingTokenBenchmark.Model m = model(backend, 32);
    try {
      StreamingTokenBenchmark.Naive naive = new StreamingTokenBenchmark.Naive();
      naive.prime(m);
      bench.naive(m, naive, new HeapCounter(), BH);
      assertEquals(StreamingTokenBenchmark.NAIVE_WINDOW, naive.sink.checks());
      naive.close();

      StreamingTokenBenchmark.Every32 every = new StreamingTokenBenchmark.Every32();
      every.prime(m);
      bench.every32(m, every, new HeapCounter(), BH);
      assertEquals(1, every.sink.checks());
      every.close();

      StreamingTokenBenchmark.Incremental inc = new StreamingTokenBenchmark.Incremental();
      inc.prime(m);
      long primed = inc.sink.checks();
      // the default cadence: one check per 32 tokens
      assertEquals(1, primed, "checks while streaming 32 tokens");
      HeapCounter heap = new HeapCounter();
      bench.incremental(m, inc, heap, BH);
      assertEquals(1, inc.sink.checks() - primed, "checks in the 32-token timed window");
      assertTrue(heap.heapBytesPerToken > 0);
      inc.close();

    } finally {
      m.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void incrementalStrategy_realBackend_neverFallsBackToWholeTextChecks(Backend backend) {
    assumeAvailable(backend);
    StreamingTokenBenchmark.Model m = model(backend, 32);
    try {
      Classifier real = m.loaded.classifier();
      assertTrue(real.incremental().isPresent(), "the benchmark is meant to measure the incremental session");
      AtomicInteger wholeText = new AtomicInteger();
      Classifier counting = new Classifier() {
        @Override
        public ClassifierInfo info() {
          return real.info();
        }

        @Override
        public Scores classify(ClassificationRequest request) {
          wholeText.incrementAndGet();
          return real.classify(request);
        }

        @Override
        public Optional<IncrementalClassifier> incremental() {
          return real.incremental();
        }
      };
      try (Guard guard = Guard.builder().borrowedClassifier(counting).noCache()
          .policy(LoadedBackend.FLAG_ONLY).build();
          GuardSink sink = new GuardSink(guard, ResponseText.PROMPT)) {
        for (String t : m.tokens) {
          sink.onToken(t);
        }
        assertTrue(sink.checks() >= 2);
      }
      assertEquals(0, wholeText.get(), "the streaming session fell back to whole-text checks");
    } finally {
      m.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void streamingResponseBenchmark_once_completesResponse(Backend backend) {
    assumeAvailable(backend);
    StreamingResponseBenchmark bench = new StreamingResponseBenchmark();
    bench.backend = backend;
    bench.decoder = TINY_DECODER;
    bench.load();
    try {
      bench.tokens = ResponseText.tokens(48); // shorter than the benchmark's 512: a test, not a measurement
      assertInstanceOf(StreamDecision.Complete.class, bench.streamResponse(BH));
    } finally {
      bench.close();
    }
  }

  @Test
  void classifyBenchmark_eachMethodOnce_returnsResults() throws Exception {
    TestAssets.assume("default-model", defaultModelPresent(), "the embedded default model is not on the classpath");
    ClassifyBenchmark bench = new ClassifyBenchmark();
    bench.load();
    try {
      Verdict v = bench.guardCheck();
      assertFalse(v.failure().isPresent(), "the single check failed: " + v);
      long[] shape = bench.bareOrtRun();
      assertEquals(1, shape[0]);
      assertNotNull(bench.peerEmbed());
      List<Verdict> all = bench.guardCheckAll32();
      assertEquals(ClassifyBenchmark.BATCH, all.size());
      assertTrue(all.stream().noneMatch(x -> x.failure().isPresent()));
      bench.guardSingles32(BH);
    } finally {
      bench.close();
    }
  }
}
