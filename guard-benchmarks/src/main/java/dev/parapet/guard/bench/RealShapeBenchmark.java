package dev.parapet.guard.bench;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.decoder.DecoderGuardClassifier;
import dev.parapet.guard.onnx.decoder.DecoderOptions;
import dev.parapet.guard.onnx.decoder.PromptTokens;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One prompt check on a size-faithful decoder ({@link DecoderShape#LLAMA_3_2_1B_INT4} by default): a ~200-token
 * user prompt judged under a full policy (Llama Guard 3's fourteen categories with their descriptions, ~850
 * prompt tokens in all), with the policy-prefix cache on (the prefix's KV is computed once; each check prefills
 * conversation + suffix) and off (each check prefills the whole prompt). Sample mode: the JSON has p50/p99.
 * Setup prints the prompt's token counts and the process's resident memory (VmHWM) to stderr for RESULTS.md.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xms1g", "-Xmx6g"})
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 2, time = 20)
public class RealShapeBenchmark {
  @State(Scope.Thread)
  public static class Model {
    @Param({DecoderShape.LLAMA_3_2_1B_INT4})
    public String decoder;

    /** Whether the policy prefix's KV is cached between checks. */
    @Param({"true", "false"})
    public boolean prefixCache;

    DecoderGuardClassifier classifier;
    ClassificationRequest request;

    @Setup(Level.Trial)
    public void load() throws IOException {
      DecoderShape shape = DecoderShape.parse(decoder);
      LoadedBackend probe = DecoderModels.load(shape, LoadedBackend.onnxOptions(BenchSettings.intraOpThreads()));
      probe.close(); // writes (or finds) the cached folder; reload it with the cache setting under test
      Path dir = DecoderModels.cacheDir(shape);
      if (!Files.isDirectory(dir)) {
        throw new IllegalStateException("RealShapeBenchmark needs -Dparapet.bench.models (scripts/bench.sh"
            + " --real-shapes sets it)");
      }
      classifier = DecoderGuardClassifier.load(dir, DecoderOptions.builder()
          .onnx(LoadedBackend.onnxOptions(BenchSettings.intraOpThreads()))
          .prefixCacheEntries(prefixCache ? 16 : 0).build());
      request = ClassificationRequest.of(Conversation.ofPrompt(prompt200()), fullPolicy());
      int[] t = PromptTokens.of(classifier, request);
      System.err.printf("RealShapeBenchmark %s prefixCache=%s: prompt tokens prefix %d, head %d, judged %d,"
          + " suffix+answer %d, total %d%n", shape, prefixCache, t[0], t[1], t[2], t[3], t[0] + t[1] + t[2] + t[3]);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM") || line.startsWith("VmRSS")) {
          System.err.println("RealShapeBenchmark " + decoder + " prefixCache=" + prefixCache + ": " + line);
        }
      }
      classifier.close();
    }
  }

  /** Llama Guard 3's S1-S14 shown with their descriptions (as custom categories are rendered): a full policy. */
  static Taxonomy fullPolicy() {
    List<Category> out = new ArrayList<>();
    for (Category c : Taxonomies.llamaGuard3().categories()) {
      out.add(Category.of("P" + c.code(), c.name(), c.description()));
    }
    return Taxonomy.of("full-policy", out);
  }

  /** About 200 model tokens of benign user text. */
  static String prompt200() {
    StringBuilder sb = new StringBuilder(ResponseText.PROMPT);
    for (String t : ResponseText.tokens(170, ResponseText.Cut.WORDS)) {
      sb.append(t);
    }
    return sb.toString();
  }

  @Benchmark
  public Scores promptCheck(Model m) {
    return m.classifier.classify(m.request);
  }
}
