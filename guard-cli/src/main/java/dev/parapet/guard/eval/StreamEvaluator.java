package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Verdict;
import java.util.List;
import java.util.function.Function;

/**
 * Streaming quality: replays each labelled response as a token stream and compares the streamed verdict with
 * the same guard's full-text verdict. Tokens here are whitespace-preserving word pieces
 * ({@link TokenSplitter#words}); {@code tokensPerStep} of them are fed per {@code onToken} call.
 *
 * <p>Reported (see {@link #toJson}): streamed-verdict and full-text precision/recall/F1/FPR and their F1
 * ratio; exposure, the share of an unsafe response's tokens released before STOP (1.0 when it was never
 * stopped); delay, the tokens between the token holding {@code harm_start} and the token at which STOP came
 * (negative when it stopped before the labelled start); the share of unsafe responses stopped within 32 tokens
 * (of the harm start where given, else of the response start).
 */
public final class StreamEvaluator {
  /** The "stopped within N tokens" horizon. */
  public static final int WITHIN = 32;
  private static final ObjectMapper JSON = new ObjectMapper();

  private StreamEvaluator() {}

  /** One replayed response. */
  public record Row(
      EvalRecord record,
      int tokens,
      boolean fullUnsafe,
      double fullScore,
      StreamOutcome outcome,
      int stopToken,
      int releasedTokens,
      int harmToken) {
    /** Released share of the response's tokens; 1 for an empty response. */
    public double exposure() {
      return tokens == 0 ? 1.0 : (double) releasedTokens / tokens;
    }
  }

  /**
   * Replays every record that has a response (prompt-only records are counted and skipped).
   *
   * @param check the full-text check
   * @param replayer the streaming replay
   */
  public static List<Row> run(List<EvalRecord> records, Function<Conversation, Verdict> check,
      StreamReplayer replayer, int tokensPerStep, int threads, Progress progress) {
    requireNonNull(records, "records");
    requireNonNull(check, "check");
    requireNonNull(replayer, "replayer");
    requireNonNull(progress, "progress");
    if (tokensPerStep < 1) {
      throw new IllegalArgumentException("tokens per step must be >= 1, was " + tokensPerStep);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    List<EvalRecord> withResponse = records.stream().filter(r -> r.response().isPresent()).toList();
    return RecordPool.map(withResponse, r -> replayOne(r, check, replayer, tokensPerStep),
        threads, progress, "parapet-eval-stream", "replaying");
  }

  static Row replayOne(EvalRecord r, Function<Conversation, Verdict> check, StreamReplayer replayer, int perStep) {
    String response = r.response().orElseThrow();
    List<String> words = TokenSplitter.words(response);
    int[] ends = new int[words.size()];
    int pos = 0;
    for (int i = 0; i < words.size(); i++) {
      pos += words.get(i).length();
      ends[i] = pos;
    }
    List<String> pieces = TokenSplitter.steps(response, perStep);
    Verdict full = requireNonNull(check.apply(r.conversation()), "verdict");
    StreamOutcome out = requireNonNull(replayer.replay(r, pieces), "stream outcome");
    int stopToken = out.stopped() ? Math.min(words.size(), out.stopStep() * perStep) : 0;
    int released = 0;
    while (released < ends.length && ends[released] <= out.releasedChars()) {
      released++;
    }
    int harmToken = 0;
    if (r.harmStart().isPresent()) {
      int h = r.harmStart().getAsInt();
      harmToken = words.size();
      for (int i = 0; i < ends.length; i++) {
        if (ends[i] > h) {
          harmToken = i + 1;
          break;
        }
      }
    }
    return new Row(r, words.size(), full.decision() != dev.parapet.guard.Decision.ALLOW, full.unsafeScore(), out,
        stopToken, released, harmToken);
  }

  /** The streaming metrics document. */
  public static ObjectNode toJson(List<Row> rows, RunInfo info, int tokensPerStep, int skippedPromptOnly,
      List<MalformedLine> malformed) {
    requireNonNull(rows, "rows");
    requireNonNull(info, "info");
    requireNonNull(malformed, "malformed");
    int n = rows.size();
    boolean[] labels = new boolean[n];
    boolean[] full = new boolean[n];
    boolean[] streamed = new boolean[n];
    int agree = 0;
    for (int i = 0; i < n; i++) {
      Row row = rows.get(i);
      labels[i] = row.record().unsafe();
      full[i] = row.fullUnsafe();
      streamed[i] = row.outcome().predictedUnsafe();
      if (full[i] == streamed[i]) {
        agree++;
      }
    }
    Metrics.Confusion fc = Metrics.confusion(full, labels);
    Metrics.Confusion sc = Metrics.confusion(streamed, labels);
    ObjectNode root = JSON.createObjectNode();
    root.put("n", n);
    root.put("positives", fc.tp() + fc.fn());
    root.put("negatives", fc.fp() + fc.tn());
    root.put("skippedPromptOnly", skippedPromptOnly);
    root.put("tokensPerStep", tokensPerStep);
    root.put("tokenUnit", "whitespace-preserving word pieces");
    SummaryJson.confusion(root.putObject("fullText"), fc);
    SummaryJson.confusion(root.putObject("streamed"), sc);
    EvalSummary.num(root, "f1Ratio", sc.f1() / fc.f1());
    EvalSummary.num(root, "agreement", n == 0 ? Double.NaN : (double) agree / n);
    long checks = 0;
    long steps = 0;
    for (Row row : rows) {
      if (row.outcome().checks() >= 0) {
        checks += row.outcome().checks();
        steps += row.outcome().steps();
      }
    }
    ObjectNode cost = root.putObject("checks");
    cost.put("total", checks);
    EvalSummary.num(cost, "per100Pieces", steps == 0 ? Double.NaN : 100.0 * checks / (steps * (double) tokensPerStep));
    cost.put("definition", "classifier checks per 100 word pieces streamed (finish() included; responses stopped"
        + " early count only the pieces fed before STOP); the cost of streaming is about this times one check");

    List<Row> unsafe = rows.stream().filter(r -> r.record().unsafe()).toList();
    ObjectNode exp = root.putObject("exposure");
    exp.put("unsafeResponses", unsafe.size());
    exp.put("stopped", unsafe.stream().filter(r -> r.outcome().stopped()).count());
    double[] fractions = unsafe.stream().mapToDouble(Row::exposure).toArray();
    double[] releasedTokens = unsafe.stream().mapToDouble(Row::releasedTokens).toArray();
    EvalSummary.num(exp, "medianFraction", Metrics.median(fractions));
    EvalSummary.num(exp, "meanFraction", mean(fractions));
    EvalSummary.num(exp, "p90Fraction", Metrics.percentile(fractions, 90));
    EvalSummary.num(exp, "medianTokens", Metrics.median(releasedTokens));
    double[] stoppedFractions = unsafe.stream().filter(r -> r.outcome().stopped()).mapToDouble(Row::exposure)
        .toArray();
    EvalSummary.num(exp, "medianFractionWhenStopped", Metrics.median(stoppedFractions));
    long safeN = rows.size() - unsafe.size();
    long safeStopped = rows.stream().filter(r -> !r.record().unsafe() && r.outcome().stopped()).count();
    EvalSummary.num(exp, "safeStoppedRate", safeN == 0 ? Double.NaN : (double) safeStopped / safeN);

    List<Row> withHarm = unsafe.stream().filter(r -> r.record().harmStart().isPresent()).toList();
    ObjectNode delay = root.putObject("harmDelay");
    delay.put("withHarmStart", withHarm.size());
    double[] delays = withHarm.stream().filter(r -> r.outcome().stopped())
        .mapToDouble(r -> r.stopToken() - r.harmToken()).toArray();
    delay.put("stopped", delays.length);
    delay.put("notStopped", withHarm.size() - delays.length);
    EvalSummary.num(delay, "medianTokens", Metrics.median(delays));
    EvalSummary.num(delay, "p90Tokens", Metrics.percentile(delays, 90));
    EvalSummary.num(delay, "meanTokens", mean(delays));
    delay.put("stoppedBeforeHarmStart", java.util.Arrays.stream(delays).filter(d -> d < 0).count());

    ObjectNode within = root.putObject("stoppedWithin" + WITHIN + "Tokens");
    long fromStart = unsafe.stream().filter(r -> r.outcome().stopped() && r.stopToken() <= WITHIN).count();
    long fromHarm = unsafe.stream().filter(r -> r.outcome().stopped()
        && r.stopToken() - Math.max(0, r.harmToken() - 1) <= WITHIN).count();
    EvalSummary.num(within, "ofHarmStart", unsafe.isEmpty() ? Double.NaN : (double) fromHarm / unsafe.size());
    EvalSummary.num(within, "ofResponseStart", unsafe.isEmpty() ? Double.NaN : (double) fromStart / unsafe.size());
    within.put("definition", "share of unsafe responses stopped within " + WITHIN
        + " tokens of harm_start (or of the response start when harm_start is absent), and of the response start");

    SummaryJson.runInfo(root, info);
    SummaryJson.malformed(root, malformed);
    return root;
  }

  private static double mean(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }
}
