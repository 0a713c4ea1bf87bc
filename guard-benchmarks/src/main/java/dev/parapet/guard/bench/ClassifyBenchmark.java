package dev.parapet.guard.bench;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.policy.Policy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Prompt checks with the embedded default model, against what they are made of and against the peer.
 *
 * <ul>
 *   <li>{@link #guardCheck}: {@code Guard.checkPrompt} with the cache off: normalize, tokenize, one ONNX Runtime
 *       run, heads, policy. A prompt of about 30 words (under 64 tokens).
 *   <li>{@link #bareOrtRun}: {@code OrtSession.run} alone on the same model bytes, with the same token ids
 *       ({@code [CLS] prompt [SEP]}, tokenized once in setup) in tensors built once: the floor our overhead is
 *       measured against.
 *   <li>{@link #peerEmbed}: LangChain4j's in-process {@code AllMiniLmL6V2QuantizedEmbeddingModel.embed(text)},
 *       the same base encoder (MiniLM-L6 int8), which is what a Java developer would otherwise reach for. It
 *       embeds only; it does not classify.
 *   <li>{@link #guardCheckAll32} vs {@link #guardSingles32}: 32 prompts of mixed lengths through one
 *       {@code checkAll} (one {@code classifyBatch}) vs 32 {@code check} calls; time per prompt.
 * </ul>
 * Single checks run in sample mode (JMH reports p50/p90/p99); the batches in average-time mode.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xms1g", "-Xmx6g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 5)
public class ClassifyBenchmark {
  static final int BATCH = 32;
  private static final String MODEL_DIR = "dev/parapet/guard/model/default/";

  Guard guard;
  BareOrtSession bare;
  AllMiniLmL6V2QuantizedEmbeddingModel peer;
  List<Conversation> batch;

  @Setup(Level.Trial)
  public void load() {
    int threads = BenchSettings.intraOpThreads();
    guard = Guard.builder()
        .classifier(EncoderGuardClassifier.loadDefault(LoadedBackend.onnxOptions(threads)))
        .policy(Policy.defaults()).noCache().noTimeout().build();
    try (ContentTokenizer tokenizer = ContentTokenizer.load(
        new ByteArrayInputStream(resource(MODEL_DIR + "tokenizer.json")), MODEL_DIR + "tokenizer.json")) {
      long[] content = tokenizer.encodeContent(ResponseText.PROMPT);
      long[] ids = new long[content.length + 2];
      ids[0] = tokenizer.tokenId("[CLS]").orElseThrow();
      System.arraycopy(content, 0, ids, 1, content.length);
      ids[ids.length - 1] = tokenizer.tokenId("[SEP]").orElseThrow();
      long[] mask = new long[ids.length];
      java.util.Arrays.fill(mask, 1L);
      bare = new BareOrtSession(resource(MODEL_DIR + "model.onnx"), ids, mask, threads);
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException("could not open the bare ONNX Runtime session on the default model", e);
    }
    peer = new AllMiniLmL6V2QuantizedEmbeddingModel();
    List<Conversation> b = new ArrayList<>(BATCH);
    for (String p : ResponseText.mixedPrompts(BATCH)) {
      b.add(Conversation.ofPrompt(p));
    }
    batch = List.copyOf(b);
  }

  @TearDown(Level.Trial)
  public void close() {
    if (guard != null) {
      guard.close();
    }
    if (bare != null) {
      bare.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public Verdict guardCheck() {
    return guard.checkPrompt(ResponseText.PROMPT);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public long[] bareOrtRun() throws ai.onnxruntime.OrtException {
    return bare.run();
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public Object peerEmbed() {
    return peer.embed(ResponseText.PROMPT).content();
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OperationsPerInvocation(BATCH)
  public List<Verdict> guardCheckAll32() {
    return guard.checkAll(batch);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OperationsPerInvocation(BATCH)
  public void guardSingles32(Blackhole bh) {
    for (Conversation c : batch) {
      bh.consume(guard.check(c));
    }
  }

  static byte[] resource(String name) {
    try (InputStream in = ClassifyBenchmark.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is not on the classpath: the benchmarks need the embedded"
            + " default model (dev.parapet:guard-default-model, built from models/default/)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + name, e);
    }
  }
}
