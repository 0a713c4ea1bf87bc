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
 * A whole response through our {@code StreamingSession}, as an application runs it: open a session, feed
 * {@value #RESPONSE_TOKENS} tokens one by one, {@code finish()}, close. The score is time per token, amortized
 * over the response (session open and the final check included), at the default {@code StreamOptions}.
 *
 * <p>Nothing is set up per invocation, so JMH's {@code -prof gc} {@code gc.alloc.rate.norm} here is exactly the
 * Java heap allocated per streamed token (native ONNX Runtime buffers are not counted).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xms1g", "-Xmx6g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class StreamingResponseBenchmark {
  static final int RESPONSE_TOKENS = 512;

  @Param({"DECODER", "DEFAULT"})
  public Backend backend;

  /** The DECODER backend's shape, {@code LAYERSxHIDDEN[xVOCAB]}. */
  @Param({"4x256"})
  public String decoder;

  LoadedBackend loaded;
  List<String> tokens;

  @Setup(Level.Trial)
  public void load() {
    tokens = ResponseText.tokens(RESPONSE_TOKENS, backend.cut());
    loaded = LoadedBackend.load(backend, DecoderShape.parse(decoder), BenchSettings.intraOpThreads());
  }

  @TearDown(Level.Trial)
  public void close() {
    if (loaded != null) {
      loaded.close();
    }
  }

  @Benchmark
  @OperationsPerInvocation(RESPONSE_TOKENS)
  public Object streamResponse(Blackhole bh) {
    try (GuardSink sink = new GuardSink(loaded.guard(), ResponseText.PROMPT)) {
      for (String t : tokens) {
        bh.consume(sink.onToken(t));
      }
      return sink.finish();
    }
  }
}
