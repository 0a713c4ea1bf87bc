package dev.parapet.guard.bench;

import dev.parapet.guard.Guard;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.text.TextViews;
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
 * What the obfuscation views cost on ordinary English prompts (issue 18: "ordinary text must not get slower by
 * more than 5%"). Two Guards over the same default-model classifier, cache off: {@link #viewsOn} (the default
 * {@link TextViews}) vs {@link #viewsOff} ({@link TextViews#none()}), each checking the same {@value #N} prompts
 * per invocation; and {@link #buildViewsOnly}, just deciding which views to build for the same prompts (none,
 * for ordinary text), against one model check.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xms1g", "-Xmx4g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 4)
public class ViewCostBenchmark {
  /** Ordinary English prompts of chat style: questions, requests, some digits and punctuation. */
  static final List<String> PROMPTS = List.of(
      "How do I bake a sourdough loaf with a crispy crust?",
      "What is the capital of France, and how many people live there?",
      "Can you explain how a transformer model works in simple terms?",
      "Write a short poem about autumn leaves falling in the park.",
      "What are 3 good exercises for lower back pain?",
      "Summarize the plot of Pride and Prejudice in two sentences.",
      "How do I kill a Python process that is stuck on Linux?",
      "Give me a recipe for a vegetarian lasagna that serves 6.",
      "Why is the sky blue during the day but red at sunset?",
      "Help me write an email asking my manager for a day off next Friday.",
      "What is the difference between a list and a tuple in Python?",
      "Recommend some books like The Hobbit for a 12-year-old.",
      "How long should I boil an egg for a runny yolk?",
      "Translate 'good morning, how are you?' into Spanish.",
      "What were the main causes of the First World War?",
      "I'm planning a trip to Japan in April. What should I pack?");
  static final int N = 16;

  Guard on;
  Guard off;
  EncoderGuardClassifier classifier;

  @Setup(Level.Trial)
  public void load() {
    classifier = EncoderGuardClassifier.loadDefault(LoadedBackend.onnxOptions(BenchSettings.intraOpThreads()));
    on = Guard.builder().borrowedClassifier(classifier).policy(Policy.defaults()).noCache().noTimeout().build();
    off = Guard.builder().borrowedClassifier(classifier).policy(Policy.defaults()).noCache().noTimeout()
        .textViews(TextViews.none()).build();
  }

  @TearDown(Level.Trial)
  public void close() {
    on.close();
    off.close();
    classifier.close();
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public void viewsOn(Blackhole bh) {
    checkEach(on, bh);
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public void viewsOff(Blackhole bh) {
    checkEach(off, bh);
  }

  private static void checkEach(Guard guard, Blackhole bh) {
    for (String p : PROMPTS) {
      bh.consume(guard.checkPrompt(p));
    }
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public void buildViewsOnly(Blackhole bh) {
    TextViews views = TextViews.defaults();
    for (String p : PROMPTS) {
      bh.consume(views.of(p));
    }
  }
}
