package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.policy.Rule;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Java heap allocated per streamed token by the decoder's streaming check at response length L (issue 16: under 4
 * KB at L >= 1k on the 4x256 benchmark shape). A probe, not a test: run it by hand, it prints numbers.
 *
 * <pre>
 * mvn -B -q -pl guard-onnx -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp guard-onnx/target/test-classes:guard-onnx/target/classes:$(cat guard-onnx/target/cp.txt) \
 *     dev.parapet.guard.onnx.decoder.StreamHeapProbe [L...]
 * </pre>
 *
 * Two views, each on one thread (the thread allocation counter only sees its own thread): {@code session} feeds
 * a {@code DecoderStreamSession} what guard-core feeds it (the 32 new stream tokens as one append, then a score);
 * {@code guard} streams token by token through {@code Guard.openStream} with a direct executor, so the count also
 * holds guard-core's per-token work. Each L is measured over several 32-token windows after streaming L tokens;
 * the median window is printed, in bytes per stream token.
 */
public final class StreamHeapProbe {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final int WINDOW = 32;
  private static final int WINDOWS = 7;
  private static final String PROMPT = "Can you explain how a sourdough starter works and how I should look after"
      + " it during a cold winter so that the bread still rises well?";
  private static final String[] WORDS = ("the starter is a culture of wild yeast and lactic bacteria that lives in"
      + " flour water mixture you feed it every day with fresh when kitchen cold slows down so keep jar near warm"
      + " spot like oven light or top fridge bubbles show active after feeding should double size within few hours"
      + " if does not try using whole wheat rye which gives more food dough bread rise longer proof time also helps"
      + " flavour develop many bakers prefer overnight rest counter bowl cover towel").split(" ");

  private StreamHeapProbe() {}

  public static void main(String[] args) throws Exception {
    int[] lengths = args.length == 0 ? new int[] {256, 1024, 2048}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    Path dir = Files.createTempDirectory("parapet-heap-probe-");
    List<String> seeds = new ArrayList<>(Fixtures.seedTexts());
    seeds.add(PROMPT + " " + String.join(" ", WORDS) + " .");
    // the benchmark's 4x256 shape (vocabulary 32,000, 4 heads, 2 KV heads, MLP 704)
    TinyDecoderFixture.write(dir, TinyDecoderFixture.Config.tiny("llama-guard-3").withSize(4, 256, 4, 2, 704, 32_000)
        .withSeedTexts(seeds), Map.of());
    int maxL = Arrays.stream(lengths).max().orElseThrow();
    List<String> tokens = tokens(maxL + WINDOW * (WINDOWS + 1));
    try (DecoderGuardClassifier c = DecoderGuardClassifier.load(dir, DecoderOptions.builder()
        .maxContextTokens(16_384).build())) {
      System.out.println("L, session bytes/token (median of " + WINDOWS + " windows), guard bytes/token");
      for (int l : lengths) {
        System.out.printf("%d, %.0f, %.0f%n", l, session(c, tokens, l), guard(c, tokens, l));
      }
    }
  }

  /** The decoder session alone, fed as guard-core feeds it: one append of the window's text, then a score. */
  private static double session(DecoderGuardClassifier c, List<String> tokens, int l) {
    try (IncrementalClassifier.Session s = c.open(ClassificationRequest.of(Conversation.ofPrompt(PROMPT),
        c.info().taxonomy()))) {
      for (int i = 0; i < l; i += WINDOW) {
        s.append(String.join("", tokens.subList(i, i + WINDOW)));
        s.score();
      }
      double[] perToken = new double[WINDOWS];
      for (int w = 0; w < WINDOWS; w++) {
        int from = l + w * WINDOW;
        String delta = String.join("", tokens.subList(from, from + WINDOW));
        long before = THREADS.getCurrentThreadAllocatedBytes();
        s.append(delta);
        s.score();
        perToken[w] = (double) (THREADS.getCurrentThreadAllocatedBytes() - before) / WINDOW;
      }
      return median(perToken);
    }
  }

  /** Through guard-core, token by token, on this thread (direct executor, no timeout, a policy that never stops). */
  private static double guard(DecoderGuardClassifier c, List<String> tokens, int l) {
    try (Guard guard = Guard.builder().borrowedClassifier(c).noCache().noTimeout().executor(Runnable::run)
        .policy(Policy.builder().defaultRule(Rule.flag(0.5)).build())
        .streamOptions(StreamOptions.builder().checkEveryTokens(WINDOW).checkAtSentenceEnd(false).build())
        .build();
        StreamingSession s = guard.openStream(Conversation.ofPrompt(PROMPT))) {
      for (int i = 0; i < l; i++) {
        s.onToken(tokens.get(i));
      }
      double[] perToken = new double[WINDOWS];
      for (int w = 0; w < WINDOWS; w++) {
        int from = l + w * WINDOW;
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = from; i < from + WINDOW; i++) {
          s.onToken(tokens.get(i));
        }
        perToken[w] = (double) (THREADS.getCurrentThreadAllocatedBytes() - before) / WINDOW;
      }
      return median(perToken);
    }
  }

  /**
   * Stream tokens cut as the benchmark cuts them for the fixture decoder ({@code " "}, {@code "word"}, now and
   * then {@code "."}: one model token each, so L = 2048 stays inside the fixture's 4,096 positions); fixed seed.
   */
  private static List<String> tokens(int count) {
    Random random = new Random(20260523L);
    List<String> out = new ArrayList<>(count);
    while (out.size() < count) {
      out.add(" ");
      out.add(random.nextInt(12) == 0 ? "." : WORDS[random.nextInt(WORDS.length)]);
    }
    return out.subList(0, count);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
