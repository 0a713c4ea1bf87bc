package dev.parapet.guard.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per-token cost of guarding a streamed response, as a function of how long the response already is.
 *
 * <h2>What one measurement is</h2>
 * Before each iteration (untimed) the strategy's state is built for a response that already holds
 * {@code responseTokens} = L stream tokens: the text so far for the whole-text strategies, an open
 * {@code StreamingSession} that has been fed (and has checked) the first L tokens for ours. The timed region then
 * streams the next tokens (L+1 ... L+w) and the score is time / w: <b>time per streamed token at response
 * length L</b> (JMH single-shot mode, one invocation per iteration, {@code @OperationsPerInvocation(w)}).
 *
 * <ul>
 *   <li>{@link #naive}: re-check the whole text (prompt + response so far) through
 *       {@code Classifier.classify} at every token; w = 4 (every token costs one whole-text check, so a short
 *       window measures the same per-token cost as a long one, at an eighth of the run time);
 *   <li>{@link #every32}: re-check the whole text every 32 tokens (NeMo-style chunking, the Qwen3Guard helper);
 *       w = 32 with L a multiple of 32, so each window holds exactly one check;
 *   <li>{@link #incremental}: ours, {@code Guard.openStream} at the default {@code StreamOptions}, which is the
 *       baseline's cadence (a check every 32 tokens, no sentence-end checks): it runs exactly as many checks as
 *       {@link #every32}, so the ratio of the two isolates what the incremental state saves per check; w = 32.
 *       (A separate {@code incrementalEvery32} at an explicit every-32 cadence measured the same configuration
 *       twice once the defaults became every 32 tokens; it was removed. {@code StreamingHarnessTest} fails if the
 *       defaults move away from the baseline's cadence.)
 * </ul>
 *
 * The secondary result {@code heapBytesPerToken} is the Java heap allocated per token in the timed region
 * ({@link HeapCounter}).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xms1g", "-Xmx6g"})
@Warmup(iterations = 1)
@Measurement(iterations = 4)
public class StreamingTokenBenchmark {
  static final int WINDOW = 32;
  static final int NAIVE_WINDOW = 4;

  /** The model and the response text; loaded once per trial (per fork). */
  @State(Scope.Thread)
  public static class Model {
    @Param({"DECODER", "DEFAULT"})
    public Backend backend;

    /** L: response tokens already streamed before the timed ones. */
    @Param({"64", "256", "1024", "2048"})
    public int responseTokens;

    /** The DECODER backend's shape, {@code LAYERSxHIDDEN[xVOCAB]}. */
    @Param({"4x256"})
    public String decoder;

    LoadedBackend loaded;
    List<String> tokens;

    @Setup(Level.Trial)
    public void load() {
      if (responseTokens < 0 || responseTokens % WINDOW != 0) {
        throw new IllegalArgumentException(
            "responseTokens must be a non-negative multiple of " + WINDOW + ", was " + responseTokens);
      }
      DecoderShape shape = DecoderShape.parse(decoder);
      // a size-faithful decoder reads the real BPE tokenizer: " word" is one model token there
      tokens = ResponseText.tokens(responseTokens + WINDOW,
          backend == Backend.DECODER && shape.realSize() ? ResponseText.Cut.WORDS : backend.cut());
      loaded = LoadedBackend.load(backend, shape, BenchSettings.intraOpThreads());
      if (backend == Backend.DECODER) {
        // one untimed whole-text check computes the policy prefix's KV (kept by the classifier's prefix cache),
        // so that no strategy's first iteration pays for it: both sides of the ratio run with the prefix cached
        try (WholeTextSink warm = new WholeTextSink(loaded.classifier(), ResponseText.PROMPT, 1)) {
          warm.onToken(tokens.get(0));
        }
      }
    }

    @TearDown(Level.Trial)
    public void close() {
      if (backend == Backend.DECODER && DecoderShape.parse(decoder).realSize()) {
        // resident memory of this fork (weights + KV of prefix + L tokens + heap), for RESULTS.md
        try {
          for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM") || line.startsWith("VmRSS")) {
              System.err.println("StreamingTokenBenchmark " + decoder + " L=" + responseTokens + ": " + line);
            }
          }
        } catch (java.io.IOException e) {
          System.err.println("StreamingTokenBenchmark: no /proc/self/status: " + e);
        }
      }
      if (loaded != null) {
        loaded.close();
      }
    }
  }

  /** The whole text so far, re-checked at every token. */
  @State(Scope.Thread)
  public static class Naive {
    WholeTextSink sink;

    @Setup(Level.Iteration)
    public void prime(Model m) {
      sink = new WholeTextSink(m.loaded.classifier(), ResponseText.PROMPT, 1);
      m.tokens.subList(0, m.responseTokens).forEach(sink::skip);
    }

    @TearDown(Level.Iteration)
    public void close() {
      sink.close();
    }
  }

  /** The whole text so far, re-checked every 32 tokens. */
  @State(Scope.Thread)
  public static class Every32 {
    WholeTextSink sink;

    @Setup(Level.Iteration)
    public void prime(Model m) {
      sink = new WholeTextSink(m.loaded.classifier(), ResponseText.PROMPT, WINDOW);
      m.tokens.subList(0, m.responseTokens).forEach(sink::skip);
    }

    @TearDown(Level.Iteration)
    public void close() {
      sink.close();
    }
  }

  /** Our streaming session, fed (and checked) up to L tokens. */
  @State(Scope.Thread)
  public static class Incremental {
    GuardSink sink;

    @Setup(Level.Iteration)
    public void prime(Model m) {
      sink = new GuardSink(m.loaded.guard(), ResponseText.PROMPT);
      for (String t : m.tokens.subList(0, m.responseTokens)) {
        sink.onToken(t);
      }
    }

    @TearDown(Level.Iteration)
    public void close() {
      sink.close();
    }
  }

  @Benchmark
  @OperationsPerInvocation(NAIVE_WINDOW)
  public void naive(Model m, Naive s, HeapCounter heap, Blackhole bh) {
    stream(m, s.sink, NAIVE_WINDOW, heap, bh);
  }

  @Benchmark
  @OperationsPerInvocation(WINDOW)
  public void every32(Model m, Every32 s, HeapCounter heap, Blackhole bh) {
    stream(m, s.sink, WINDOW, heap, bh);
  }

  @Benchmark
  @OperationsPerInvocation(WINDOW)
  public void incremental(Model m, Incremental s, HeapCounter heap, Blackhole bh) {
    stream(m, s.sink, WINDOW, heap, bh);
  }

  private static void stream(Model m, TokenSink sink, int count, HeapCounter heap, Blackhole bh) {
    long checksBefore = sink.checks();
    heap.start();
    for (int i = m.responseTokens, end = m.responseTokens + count; i < end; i++) {
      bh.consume(sink.onToken(m.tokens.get(i)));
    }
    heap.stop(count);
    heap.checksInWindow = sink.checks() - checksBefore;
  }
}
