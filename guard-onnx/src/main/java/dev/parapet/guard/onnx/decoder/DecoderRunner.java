package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Runs prepared prompts through the model: the policy-prefix KV cache, batched probe runs (each row = body + the
 * plan's forced answer, logits read at the probes), one fork per ShieldGemma policy or EXACT category, and
 * greedy answer generation for display. Every batch of probe rows goes through {@link #runProbes}, the one place
 * that builds rows, stacks their pasts and reads logits. Thread-safe; owns the prefix cache.
 */
final class DecoderRunner implements AutoCloseable {
  private final DecoderRuntime runtime;
  private final PrefixCache prefixes;
  private final PromptFormat format;
  private final ContentTokenizer tokenizer;
  private final int maxBatchSize;

  DecoderRunner(DecoderRuntime runtime, PromptFormat format, ContentTokenizer tokenizer, DecoderOptions options) {
    this.runtime = runtime;
    this.format = format;
    this.tokenizer = tokenizer;
    this.maxBatchSize = options.maxBatchSize();
    this.prefixes = new PrefixCache(options.prefixCacheEntries());
  }

  DecoderRuntime runtime() {
    return runtime;
  }

  /** The KV cache of a policy prefix, shared through the prefix cache; the caller closes its reference. */
  KvCache prefixKv(long[] prefix, Cancellation cancellation) {
    return prefixes.acquire(prefix, () -> {
      try (KvCache empty = KvCache.empty(runtime.spec(), 1)) {
        return runtime.extend(empty, new long[][] {prefix}, cancellation, "policy prefix");
      }
    });
  }

  /** Teacher-forced / no-category scoring: one prompt per request, requests batched. */
  List<Scores> scoreOnePrompt(List<PromptPreparer.Prepared> batch, ClassificationRequest first) {
    List<KvCache> pasts = new ArrayList<>();
    try {
      List<long[]> bodies = new ArrayList<>();
      List<Plan> plans = new ArrayList<>();
      for (PromptPreparer.Prepared p : batch) {
        pasts.add(prefixKv(p.plan().prefix(), first.cancellation()));
        bodies.add(PromptEncoder.concat(p.head(), p.judged(), p.plan().suffixes().get(0)));
        plans.add(p.plan());
      }
      float[][][] logits = runProbes(pasts, bodies, plans, first.cancellation(),
          batch.size() == 1 ? "classify" : "classify batch");
      List<Scores> out = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        out.add(DecisionScorer.toScores(batch.get(i).plan(), logits[i], batch.get(i).truncation()));
      }
      return out;
    } finally {
      pasts.forEach(KvCache::close);
    }
  }

  /** ShieldGemma (one policy per prompt) and EXACT mode: several prompts for one request, batched. */
  Scores classifyPerCategory(PromptPreparer.Prepared p, ClassificationRequest request) {
    Plan plan = p.plan();
    long[] conv = PromptEncoder.concat(p.head(), p.judged());
    if (format.onePromptPerCategory()) {
      double[] yes = new double[plan.suffixes().size()];
      try (KvCache prefix = prefixKv(plan.prefix(), request.cancellation());
          KvCache convKv = runtime.extend(prefix, new long[][] {conv}, request.cancellation(), "conversation")) {
        forkSuffixes(convKv, new long[0], plan, request.cancellation(), yes);
      }
      return DecisionScorer.shieldGemmaScores(plan, yes, p.truncation());
    }
    // EXACT: row 0 = the full taxonomy, row k+1 = category k alone; same conversation and suffix for all
    List<long[]> prefixIds = new ArrayList<>();
    prefixIds.add(plan.prefix());
    prefixIds.addAll(plan.exactPrefixes());
    long[] body = PromptEncoder.concat(conv, plan.suffixes().get(0));
    float[][][] all = new float[prefixIds.size()][][];
    for (int from = 0; from < prefixIds.size(); from += maxBatchSize) {
      int to = Math.min(prefixIds.size(), from + maxBatchSize);
      List<KvCache> pasts = new ArrayList<>();
      try {
        for (int k = from; k < to; k++) {
          pasts.add(prefixKv(prefixIds.get(k), request.cancellation()));
        }
        float[][][] logits = runProbes(pasts, Collections.nCopies(to - from, body),
            Collections.nCopies(to - from, plan), request.cancellation(), "exact categories");
        System.arraycopy(logits, 0, all, from, to - from);
      } finally {
        pasts.forEach(KvCache::close);
      }
    }
    return DecisionScorer.exactScores(plan, all, p.truncation());
  }

  /** Runs each category suffix (with {@code tail} in front) on top of {@code past}, batched; fills P(Yes). */
  void forkSuffixes(KvCache past, long[] tail, Plan plan, Cancellation cancellation, double[] yes) {
    for (int from = 0; from < yes.length; from += maxBatchSize) {
      int to = Math.min(yes.length, from + maxBatchSize);
      List<long[]> bodies = new ArrayList<>();
      for (int k = from; k < to; k++) {
        bodies.add(PromptEncoder.concat(tail, plan.suffixes().get(k)));
      }
      float[][][] logits = runProbes(Collections.nCopies(to - from, past), bodies,
          Collections.nCopies(to - from, plan), cancellation,
          to - from == 1 ? "policy " + from : "policies " + from + "-" + to);
      for (int k = from; k < to; k++) {
        yes[k] = DecisionScorer.yes(plan, logits[k - from][0]);
      }
    }
  }

  /** One row's probe logits on top of {@code past}: {@code body} then the plan's chain; nothing is committed. */
  float[][] probeRow(KvCache past, long[] body, Plan plan, Cancellation cancellation, String step) {
    return runProbes(List.of(past), List.of(body), List.of(plan), cancellation, step)[0];
  }

  /**
   * The one way a batch of probe rows runs: row i is {@code bodies[i]} followed by {@code plans[i].chain()}, on
   * top of {@code pasts[i]} (stacked into one batch when there are several; a past repeated in the list is read
   * once), and {@code result[i][j]} holds the option logits of probe j of row i. The pasts are not released.
   */
  private float[][][] runProbes(List<KvCache> pasts, List<long[]> bodies, List<Plan> plans,
      Cancellation cancellation, String step) {
    int n = bodies.size();
    long[][] rows = new long[n][];
    int[][] positions = new int[n][];
    long[][][] select = new long[n][][];
    for (int i = 0; i < n; i++) {
      Plan plan = plans.get(i);
      rows[i] = PromptEncoder.concat(bodies.get(i), plan.chain());
      positions[i] = readPositions(plan, bodies.get(i).length);
      select[i] = selectFor(plan);
    }
    if (n == 1) {
      return runtime.logits(pasts.get(0), rows, positions, select, cancellation, step);
    }
    try (KvCache stacked = KvCache.stack(runtime.spec(), pasts)) {
      return runtime.logits(stacked, rows, positions, select, cancellation, step);
    }
  }

  /** Positions (in a row that has {@code before} tokens ahead of the chain) of each probe's read. */
  private static int[] readPositions(Plan plan, int before) {
    int[] pos = new int[plan.probes().size()];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = before + plan.probes().get(i).readOffset();
    }
    return pos;
  }

  /** The option ids each probe reads (what {@link DecoderRuntime#logits} copies out), one entry per probe. */
  private static long[][] selectFor(Plan plan) {
    long[][] ids = new long[plan.probes().size()][];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = plan.probes().get(i).optionIds();
    }
    return ids;
  }

  /**
   * Greedy decoding after the prompt of {@code p} (its first suffix), stopping at the first special token or
   * after {@code maxNewTokens}; see {@link DecoderGuardClassifier#generateAnswer}.
   */
  String generate(PromptPreparer.Prepared p, Cancellation cancellation, int maxNewTokens) {
    long[] body = PromptEncoder.concat(p.head(), p.judged(), p.plan().suffixes().get(0));
    Set<Long> stop = tokenizer.specialIds();
    PromptEncoder.LongList out = new PromptEncoder.LongList();
    try (KvCache prefix = prefixKv(p.plan().prefix(), cancellation)) {
      KvCache cache = runtime.extend(prefix, new long[][] {Arrays.copyOf(body, body.length - 1)}, cancellation,
          "answer prompt");
      try {
        long last = body[body.length - 1];
        for (int i = 0; i < maxNewTokens; i++) {
          float[] logits = runtime.logits(cache, new long[][] {{last}}, new int[][] {{0}}, cancellation,
              "answer token " + i)[0][0];
          int next = 0;
          for (int v = 1; v < logits.length; v++) {
            if (logits[v] > logits[next]) {
              next = v;
            }
          }
          KvCache grown = runtime.extend(cache, new long[][] {{last}}, cancellation, "answer token " + i);
          cache.close();
          cache = grown;
          if (stop.contains((long) next)) {
            break;
          }
          out.add(next);
          last = next;
        }
      } finally {
        cache.close();
      }
    }
    return tokenizer.decode(out.toArray());
  }

  /** Prefix-cache statistics (for tests and diagnostics). */
  long prefixCacheHits() {
    return prefixes.hits();
  }

  long prefixCacheMisses() {
    return prefixes.misses();
  }

  /** Releases the cached prefix KV tensors. Idempotent. */
  @Override
  public void close() {
    prefixes.close();
  }
}
