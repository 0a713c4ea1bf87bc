package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.Target;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Llama-Guard-style guard LLM exported to ONNX (Hugging Face Optimum, {@code text-generation-with-past}),
 * scored from its logits.
 *
 * <pre>{@code
 * try (DecoderGuardClassifier guard = DecoderGuardClassifier.load(Path.of("models/llama-guard-3-1b"),
 *     DecoderOptions.defaults())) {
 *   Scores s = guard.classify(ClassificationRequest.of(Conversation.ofPrompt("..."), guard.info().taxonomy()));
 * }
 * }</pre>
 *
 * <p><b>Loading</b> checks every file against {@code parapet-model.json} (SHA-256), reads layers, KV heads, head
 * dim, vocabulary and dtypes from the graph and {@code config.json}, and fails with a {@link ModelLoadException}
 * that names the file and the fix.
 *
 * <p><b>Scores</b> come from logits, never from generated text: P(unsafe) is the softmax over the answer tokens
 * ({@code safe}/{@code unsafe}, {@code Yes}/{@code No}, or Safe/Unsafe/Controversial) at the position where the
 * model answers; category scores are P(unsafe) x P(category | unsafe), read after teacher-forcing the start of an
 * unsafe answer, or from one prompt per category ({@link CategoryMode}).
 *
 * <p><b>Prompts</b> are built from id segments: template text with special tokens, and user/assistant content
 * tokenized with special-token matching off ({@link ContentTokenizer#encodeContent}), so text such as
 * {@code <|eot_id|>} cannot change the prompt's structure.
 *
 * <p><b>KV cache</b>: the policy prefix (everything before the conversation) is computed once per taxonomy and
 * target and shared (bounded LRU); prompts run in chunks to bound memory; {@link #open} keeps the KV of a growing
 * response so a streaming check costs the new tokens plus the fixed suffix.
 *
 * <p>Thread-safe: share one instance. Owns an ONNX Runtime session, tokenizers and cached KV tensors: close it.
 */
public final class DecoderGuardClassifier implements Classifier, IncrementalClassifier {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int HOLD_BACK_TOKENS = 2;
  /** A streaming session re-tokenizes at most about twice this many characters of the response per call. */
  private static final int ANCHOR_WINDOW_CHARS = 128;

  private final GuardFamily family;
  private final PromptFormat format;
  private final DecoderOptions options;
  private final OrtSessions.Opened opened;
  private final DecoderRuntime runtime;
  private final ContentTokenizer tokenizer;
  private final PromptEncoder encoder;
  private final DecoderPrompts prompts;
  private final PrefixCache prefixes;
  private final ClassifierInfo info;
  private final int maxContext;
  private final AtomicBoolean closed = new AtomicBoolean();

  private DecoderGuardClassifier(GuardFamily family, DecoderOptions options, OrtSessions.Opened opened,
      DecoderRuntime runtime, ContentTokenizer tokenizer, DecoderPrompts prompts, Taxonomy taxonomy,
      String modelHash) {
    this.family = family;
    this.format = formatFor(family);
    this.options = options;
    this.opened = opened;
    this.runtime = runtime;
    this.tokenizer = tokenizer;
    this.prompts = prompts;
    this.encoder = prompts.encoder();
    this.prefixes = new PrefixCache(options.prefixCacheEntries());
    this.maxContext = prompts.maxContextTokens();
    Set<Capability> caps = EnumSet.copyOf(prompts.capabilities());
    if (options.categoryMode() != CategoryMode.EXACT) {
      caps.add(Capability.INCREMENTAL);
    }
    String mode = options.categoryMode() == CategoryMode.TEACHER_FORCED ? ""
        : "+" + options.categoryMode().name().toLowerCase(java.util.Locale.ROOT);
    this.info = new ClassifierInfo(family.id() + "@" + modelHash + mode, taxonomy, caps, maxContext,
        opened.device().toString());
  }

  static PromptFormat formatFor(GuardFamily family) {
    return switch (family) {
      case LLAMA_GUARD_3, LLAMA_GUARD_4 -> new LlamaGuardFormat(family);
      case QWEN3GUARD_GEN -> new Qwen3GuardFormat();
      case SHIELDGEMMA -> new ShieldGemmaFormat();
    };
  }

  /** Loads with {@link DecoderOptions#defaults()}. */
  public static DecoderGuardClassifier load(Path dir) {
    return load(dir, DecoderOptions.defaults());
  }

  /**
   * Loads an exported model folder: {@code parapet-model.json}, {@code model.onnx} (+ {@code model.onnx_data}),
   * {@code tokenizer.json}, {@code config.json}.
   *
   * @throws ModelLoadException naming the file and what is wrong: missing manifest or tokenizer, checksum
   *     mismatch, graph inputs/outputs that are not an Optimum decoder-with-past export, layer/head/vocab
   *     mismatches between graph, config.json and tokenizer
   */
  public static DecoderGuardClassifier load(Path dir, DecoderOptions options) {
    requireNonNull(dir, "dir");
    requireNonNull(options, "options");
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException(dir + ": not a directory; point at the folder of the ONNX export");
    }
    ModelManifest manifest = ModelManifest.read(dir);
    GuardFamily family;
    try {
      family = options.family().orElseGet(() -> GuardFamily.parse(manifest.family()));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(manifest.source() + ": " + e.getMessage(), e);
    }
    if (options.verifyChecksums()) {
      manifest.verify(dir);
    }
    String modelFile = manifest.json().path("model").asText("model.onnx");
    Path model = dir.resolve(modelFile);
    if (!Files.isRegularFile(model)) {
      throw new ModelLoadException(model + ": missing; the folder must hold the ONNX export (model.onnx, plus"
          + " model.onnx_data for models over 2 GB) from optimum-cli export onnx --task text-generation-with-past");
    }
    if (options.verifyChecksums() && !manifest.files().containsKey(modelFile)) {
      throw new ModelLoadException(manifest.source() + " does not list " + modelFile + "; re-run ManifestTool init "
          + dir + " --family " + family.id() + " after the export is complete");
    }
    Path tokenizerFile = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(tokenizerFile)) {
      throw new ModelLoadException(tokenizerFile + ": missing tokenizer; copy tokenizer.json from the export (or"
          + " from the model's Hugging Face repository) into " + dir);
    }
    JsonNode config = readConfig(dir.resolve("config.json"));
    Taxonomy taxonomy = options.taxonomy().orElseGet(() -> DecoderPrompts.defaultTaxonomy(manifest, family));
    ContentTokenizer tok = ContentTokenizer.load(tokenizerFile);
    OrtSessions.Opened opened = null;
    try {
      opened = OrtSessions.open(model, options.onnx(), "decoder model");
      ModelSpec spec = ModelSpec.read(opened.session(), model.toString(), config);
      if (tok.vocabSize() > spec.vocab()) {
        throw new ModelLoadException(tokenizerFile + ": vocab size mismatch: the tokenizer has " + tok.vocabSize()
            + " token ids but " + model.getFileName() + " outputs logits for " + spec.vocab()
            + "; tokenizer.json and model.onnx come from different models");
      }
      int maxContext = Math.min(options.maxContextTokens(), spec.maxPositions());
      DecoderPrompts prompts;
      try {
        prompts = DecoderPrompts.create(family, tok, options.categoryMode(), maxContext);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException(tokenizerFile + ": " + e.getMessage() + ". Check \"family\" in "
            + ModelManifest.FILE_NAME + " (known: llama-guard-3, llama-guard-4, qwen3guard-gen, shieldgemma)", e);
      }
      long maxLogitsElements = options.maxLogitsBytes() / 4;
      DecoderRuntime runtime = new DecoderRuntime(opened.session(), spec, options.prefillChunkTokens(),
          maxLogitsElements);
      ModelManifest.FileEntry entry = manifest.files().get(modelFile);
      // the manifest's content hash covers the model file (through its checksum) and every setting in the
      // manifest, so an edited manifest never reports the original's id
      String hash = entry == null || !options.verifyChecksums() ? "unverified"
          : manifest.contentSha256().substring(0, 12);
      DecoderGuardClassifier c =
          new DecoderGuardClassifier(family, options, opened, runtime, tok, prompts, taxonomy, hash);
      try {
        prompts.validate(taxonomy);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException(tokenizerFile + ": cannot read " + family.id() + " answers with this"
            + " tokenizer: " + e.getMessage(), e);
      }
      return c;
    } catch (RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      tok.close();
      throw e;
    }
  }

  /** config.json for {@link DecoderExportCheck}, or null when absent. */
  static JsonNode readConfigForCheck(Path file) {
    return readConfig(file);
  }

  private static JsonNode readConfig(Path file) {
    if (!Files.isRegularFile(file)) {
      return null; // the graph alone must then fix every size; ModelSpec says so if not
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new ModelLoadException(file + ": malformed JSON at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Classifier

  @Override
  public ClassifierInfo info() {
    return info;
  }

  /** The model family whose prompt format is used. */
  public GuardFamily family() {
    return family;
  }

  /** The device the model runs on (CPU when CUDA was asked for but could not be loaded). */
  public Device device() {
    return opened.device();
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    requireNonNull(request, "request");
    checkOpen();
    return classifyBatch(List.of(request)).get(0);
  }

  @Override
  public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    requireNonNull(requests, "requests");
    checkOpen();
    Scores[] out = new Scores[requests.size()];
    List<Integer> plain = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      ClassificationRequest r = requireNonNull(requests.get(i), "requests[" + i + "]");
      if (format.onePromptPerCategory() || options.categoryMode() == CategoryMode.EXACT) {
        out[i] = classifyPerCategory(prepare(r, options.categoryMode()), r);
      } else {
        plain.add(i);
      }
    }
    for (int from = 0; from < plain.size(); from += options.maxBatchSize()) {
      List<Integer> idx = plain.subList(from, Math.min(plain.size(), from + options.maxBatchSize()));
      List<Prepared> prepared = new ArrayList<>();
      for (int i : idx) {
        prepared.add(prepare(requests.get(i), options.categoryMode()));
      }
      List<Scores> scores = scoreOnePrompt(prepared, requests.get(idx.get(0)));
      for (int k = 0; k < idx.size(); k++) {
        out[idx.get(k)] = scores.get(k);
      }
    }
    return Arrays.asList(out);
  }

  /**
   * This classifier as an {@link IncrementalClassifier}; empty in {@link CategoryMode#EXACT}, whose one prompt per
   * category would need one committed KV cache per category (use TEACHER_FORCED for streaming).
   */
  @Override
  public Optional<IncrementalClassifier> incremental() {
    return options.categoryMode() == CategoryMode.EXACT ? Optional.empty() : Optional.of(this);
  }

  /** Releases the session, tokenizers and cached KV tensors. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        prefixes.close();
      } finally {
        try {
          opened.close();
        } finally {
          tokenizer.close();
        }
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("DecoderGuardClassifier " + info.id() + " is closed");
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // prompt preparation

  Plan plan(Taxonomy taxonomy, Target target, CategoryMode mode) {
    return prompts.plan(taxonomy, target, mode);
  }

  /** A request turned into ids (see {@link DecoderPrompts#prepare}). */
  record Prepared(Plan plan, Target target, long[] head, long[] judged, Truncation truncation, int contextTokens) {}

  Prepared prepare(ClassificationRequest request, CategoryMode mode) {
    return prompts.prepare(request, mode);
  }

  /** The judged text and the fixed trailer, as one run. */
  long[] encodeJudged(String text) {
    return prompts.encodeJudged(text);
  }

  static long[] headTail(long[] ids, int keep) {
    return DecoderPrompts.headTail(ids, keep);
  }

  // ---------------------------------------------------------------------------------------------------------
  // scoring

  private KvCache prefixKv(long[] prefix, ClassificationRequest request) {
    return prefixes.acquire(prefix, () -> {
      try (KvCache empty = KvCache.empty(runtime.spec(), 1)) {
        return runtime.extend(empty, new long[][] {prefix}, request.cancellation(), "policy prefix");
      }
    });
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

  /** Teacher-forced / no-category scoring: one prompt per request, requests batched. */
  private List<Scores> scoreOnePrompt(List<Prepared> batch, ClassificationRequest first) {
    List<KvCache> pasts = new ArrayList<>();
    try {
      for (Prepared p : batch) {
        pasts.add(prefixKv(p.plan().prefix(), first));
      }
      long[][] rows = new long[batch.size()][];
      int[][] positions = new int[batch.size()][];
      long[][][] select = new long[batch.size()][][];
      for (int i = 0; i < batch.size(); i++) {
        Prepared p = batch.get(i);
        long[] body = PromptEncoder.concat(p.head(), p.judged(), p.plan().suffixes().get(0));
        rows[i] = PromptEncoder.concat(body, p.plan().chain());
        positions[i] = readPositions(p.plan(), body.length);
        select[i] = selectFor(p.plan());
      }
      float[][][] logits;
      if (pasts.size() == 1) {
        logits = runtime.logits(pasts.get(0), rows, positions, select, first.cancellation(), "classify");
      } else {
        try (KvCache stacked = KvCache.stack(runtime.spec(), pasts)) {
          logits = runtime.logits(stacked, rows, positions, select, first.cancellation(), "classify batch");
        }
      }
      List<Scores> out = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        out.add(toScores(batch.get(i), logits[i]));
      }
      return out;
    } finally {
      pasts.forEach(KvCache::close);
    }
  }

  /** ShieldGemma (one policy per prompt) and EXACT mode: several prompts for one request, batched. */
  private Scores classifyPerCategory(Prepared p, ClassificationRequest request) {
    Plan plan = p.plan();
    long[] conv = PromptEncoder.concat(p.head(), p.judged());
    if (format.onePromptPerCategory()) {
      double[] yes = new double[plan.suffixes().size()];
      try (KvCache prefix = prefixKv(plan.prefix(), request);
          KvCache convKv = runtime.extend(prefix, new long[][] {conv}, request.cancellation(), "conversation")) {
        forkSuffixes(convKv, new long[0], plan, request, yes);
      }
      return shieldGemmaScores(plan, yes, p.truncation());
    }
    // EXACT: row 0 = the full taxonomy, row k+1 = category k alone; same conversation and suffix for all
    List<long[]> prefixIds = new ArrayList<>();
    prefixIds.add(plan.prefix());
    prefixIds.addAll(plan.exactPrefixes());
    long[] body = PromptEncoder.concat(conv, plan.suffixes().get(0));
    long[] row = PromptEncoder.concat(body, plan.chain());
    int[] pos = readPositions(plan, body.length);
    float[][][] all = new float[prefixIds.size()][][];
    for (int from = 0; from < prefixIds.size(); from += options.maxBatchSize()) {
      int to = Math.min(prefixIds.size(), from + options.maxBatchSize());
      List<KvCache> pasts = new ArrayList<>();
      try {
        for (int k = from; k < to; k++) {
          pasts.add(prefixKv(prefixIds.get(k), request));
        }
        long[][] rows = new long[to - from][];
        int[][] positions = new int[to - from][];
        long[][][] select = new long[to - from][][];
        Arrays.fill(rows, row);
        Arrays.fill(positions, pos);
        Arrays.fill(select, selectFor(plan));
        float[][][] logits;
        if (pasts.size() == 1) {
          logits = runtime.logits(pasts.get(0), rows, positions, select, request.cancellation(), "exact categories");
        } else {
          try (KvCache stacked = KvCache.stack(runtime.spec(), pasts)) {
            logits = runtime.logits(stacked, rows, positions, select, request.cancellation(), "exact categories");
          }
        }
        System.arraycopy(logits, 0, all, from, to - from);
      } finally {
        pasts.forEach(KvCache::close);
      }
    }
    return exactScores(plan, all, p.truncation());
  }

  /** EXACT mode: {@code all[0]} is the full taxonomy's probe logits, {@code all[k + 1]} category k's alone. */
  static Scores exactScores(Plan plan, float[][][] all, Truncation truncation) {
    Scores overall = toScores(plan, all[0], truncation);
    Scores.Builder b = overall.toBuilder();
    for (int k = 0; k < plan.categoryCodes().size(); k++) {
      Scores one = toScores(plan, all[k + 1], truncation);
      b.category(plan.categoryCodes().get(k), clamp(one.unsafe() + one.controversial().orElse(0)));
    }
    return b.build();
  }

  /** Runs each category suffix (with {@code tail} in front) on top of {@code past}, batched; fills P(Yes). */
  private void forkSuffixes(KvCache past, long[] tail, Plan plan, ClassificationRequest request, double[] yes) {
    Plan.ResolvedProbe probe = plan.probes().get(0);
    for (int from = 0; from < yes.length; from += options.maxBatchSize()) {
      int to = Math.min(yes.length, from + options.maxBatchSize());
      long[][] rows = new long[to - from][];
      int[][] positions = new int[to - from][];
      long[][][] select = new long[to - from][][];
      for (int k = from; k < to; k++) {
        long[] body = PromptEncoder.concat(tail, plan.suffixes().get(k));
        rows[k - from] = PromptEncoder.concat(body, plan.chain());
        positions[k - from] = readPositions(plan, body.length);
        select[k - from] = selectFor(plan);
      }
      float[][][] logits;
      if (rows.length == 1) {
        logits = runtime.logits(past, rows, positions, select, request.cancellation(), "policy " + from);
      } else {
        try (KvCache stacked = KvCache.stack(runtime.spec(), java.util.Collections.nCopies(rows.length, past))) {
          logits = runtime.logits(stacked, rows, positions, select, request.cancellation(),
              "policies " + from + "-" + to);
        }
      }
      for (int k = from; k < to; k++) {
        yes[k] = softmax(logits[k - from][0])[probe.probe().unsafeIndex()];
      }
    }
  }

  static Scores shieldGemmaScores(Plan plan, double[] yes, Truncation truncation) {
    Scores.Builder b = Scores.builder();
    double max = 0;
    for (int k = 0; k < yes.length; k++) {
      b.category(plan.categoryCodes().get(k), clamp(yes[k]));
      max = Math.max(max, yes[k]);
    }
    b.unsafe(clamp(max));
    if (truncation != null) {
      b.truncation(truncation);
    }
    return b.build();
  }

  private Scores toScores(Prepared p, float[][] probeLogits) {
    return toScores(p.plan(), probeLogits, p.truncation());
  }

  static Scores toScores(Plan plan, float[][] probeLogits, Truncation truncation) {
    double unsafe = Double.NaN;
    double controversial = Double.NaN;
    Map<String, Double> categories = new LinkedHashMap<>();
    for (int i = 0; i < plan.probes().size(); i++) {
      Plan.ResolvedProbe rp = plan.probes().get(i);
      double[] p = softmax(probeLogits[i]);
      switch (rp.probe().kind()) {
        case BINARY -> unsafe = p[rp.probe().unsafeIndex()];
        case LEVELS -> {
          unsafe = p[1];
          controversial = p[2];
        }
        case CATEGORY -> {
          double flagged = unsafe + (Double.isNaN(controversial) ? 0 : controversial);
          for (int k = 0; k < p.length; k++) {
            categories.put(plan.categoryCodes().get(k), clamp(flagged * p[k]));
          }
        }
        default -> throw new IllegalStateException("unknown probe kind " + rp.probe().kind());
      }
    }
    Scores.Builder b = Scores.builder().unsafe(clamp(unsafe)).categories(categories);
    if (!Double.isNaN(controversial)) {
      b.controversial(Math.min(clamp(controversial), 1 - clamp(unsafe)));
    }
    if (truncation != null) {
      b.truncation(truncation);
    }
    return b.build();
  }

  /** Softmax over the logits of {@code ids} in a full vocabulary row (tests compare against it). */
  static double[] softmax(float[] logits, long[] ids) {
    float[] picked = new float[ids.length];
    for (int i = 0; i < ids.length; i++) {
      picked[i] = logits[(int) ids[i]];
    }
    return softmax(picked);
  }

  /** Softmax over a probe's option logits (as selected by {@link #selectFor}), in double precision. */
  static double[] softmax(float[] optionLogits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : optionLogits) {
      max = Math.max(max, l);
    }
    double[] p = new double[optionLogits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(optionLogits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  private static double clamp(double p) {
    if (Double.isNaN(p)) {
      throw new ClassificationException("the model produced NaN logits");
    }
    return Math.min(1.0, Math.max(0.0, p));
  }

  /**
   * Greedily generates the model's own answer ("unsafe\nS1,S10", "Safety: Unsafe\nCategories: Violent", "Yes")
   * for display. Never used for scores, which come from logits. Stops at the first special token (end of turn)
   * or after {@code maxNewTokens}. ShieldGemma answers for the taxonomy's first policy. Costs one model run per
   * generated token on top of the prompt.
   *
   * @param maxNewTokens in [1, 256]
   */
  public String generateAnswer(ClassificationRequest request, int maxNewTokens) {
    requireNonNull(request, "request");
    if (maxNewTokens < 1 || maxNewTokens > 256) {
      throw new IllegalArgumentException("maxNewTokens must be in [1, 256], was " + maxNewTokens);
    }
    checkOpen();
    Prepared p = prepare(request, CategoryMode.NONE);
    long[] body = PromptEncoder.concat(p.head(), p.judged(), p.plan().suffixes().get(0));
    Set<Long> stop = tokenizer.specialIds();
    PromptEncoder.LongList out = new PromptEncoder.LongList();
    try (KvCache prefix = prefixKv(p.plan().prefix(), request)) {
      KvCache cache = runtime.extend(prefix, new long[][] {Arrays.copyOf(body, body.length - 1)},
          request.cancellation(), "answer prompt");
      try {
        long last = body[body.length - 1];
        for (int i = 0; i < maxNewTokens; i++) {
          float[] logits = runtime.logits(cache, new long[][] {{last}}, new int[][] {{0}}, request.cancellation(),
              "answer token " + i)[0][0];
          int next = 0;
          for (int v = 1; v < logits.length; v++) {
            if (logits[v] > logits[next]) {
              next = v;
            }
          }
          KvCache grown = runtime.extend(cache, new long[][] {{last}}, request.cancellation(), "answer token " + i);
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

  // ---------------------------------------------------------------------------------------------------------
  // streaming

  /**
   * Opens a streaming session for the response to {@code request.conversation()} (whose last turn is the user's
   * prompt). The session keeps the KV cache of prefix + conversation + committed response tokens; each
   * {@code score()} runs only the uncommitted tokens and the fixed suffix on top of it (ShieldGemma: one fork per
   * policy, batched).
   *
   * @throws UnsupportedOperationException in {@link CategoryMode#EXACT} (see {@link #incremental()})
   */
  @Override
  public Session open(ClassificationRequest request) {
    requireNonNull(request, "request");
    checkOpen();
    if (options.categoryMode() == CategoryMode.EXACT) {
      throw new UnsupportedOperationException("streaming needs CategoryMode.TEACHER_FORCED or NONE; EXACT mode"
          + " scores one prompt per category and has no incremental form");
    }
    Conversation c = request.conversation();
    if (c.target() != Target.PROMPT) {
      throw new IllegalArgumentException("open() needs a conversation that ends with the user's prompt; it ends"
          + " with an assistant turn");
    }
    return new StreamSession(request);
  }

  /** Prefix-cache statistics (for tests and diagnostics). */
  long prefixCacheHits() {
    return prefixes.hits();
  }

  long prefixCacheMisses() {
    return prefixes.misses();
  }

  DecoderRuntime runtime() {
    return runtime;
  }

  PromptFormat format() {
    return format;
  }

  PromptEncoder encoder() {
    return encoder;
  }

  /** See {@link #open}. Used from one thread. */
  final class StreamSession implements Session {
    private final ClassificationRequest request;
    private final Plan plan;
    private final int budget;
    private final int contextTokens;
    private KvCache committed;
    private long[] committedIds = new long[0];
    private final StringBuilder response = new StringBuilder();
    private boolean closed;
    // Bounded re-tokenization: the judged text before anchorChars (== anchorText) tokenizes to anchorIds whatever
    // follows it, so each append/score tokenizes only judged[anchorChars:] (+ trailer). The anchor moves to a word
    // start well behind the end once the tail is long, and only after checking, on the current text, that
    // tokenizing the two sides separately gives the same ids as tokenizing the tail whole.
    private int anchorChars;
    private String anchorText = "";
    private final PromptEncoder.LongList anchorIds = new PromptEncoder.LongList();
    private int nextAnchorTry;
    private int lastEncodedTokens;

    StreamSession(ClassificationRequest request) {
      this.request = request;
      CategoryMode mode = options.categoryMode();
      Conversation withResponse = request.conversation().withResponse("");
      ClassificationRequest r = new ClassificationRequest(withResponse, request.taxonomy(), request.cancellation());
      Prepared p = prepare(r, mode);
      this.plan = p.plan();
      int fixed = plan.prefix().length + p.head().length + plan.maxSuffixLength() + plan.chain().length;
      this.budget = maxContext - fixed;
      this.contextTokens = p.contextTokens();
      try (KvCache prefix = prefixKv(plan.prefix(), request)) {
        this.committed = runtime.extend(prefix, new long[][] {p.head()}, request.cancellation(), "stream head");
      }
    }

    private void checkOpen() {
      if (closed) {
        throw new IllegalStateException("streaming session is closed");
      }
      DecoderGuardClassifier.this.checkOpen();
    }

    @Override
    public void append(String responseDelta) {
      requireNonNull(responseDelta, "responseDelta");
      checkOpen();
      if (responseDelta.isEmpty()) {
        return;
      }
      response.append(responseDelta);
      long[] ids = sessionIds();
      int common = commonPrefix(committedIds, ids);
      if (common < committedIds.length) { // a boundary token changed: roll the committed cache back
        KvCache cut = committed.truncate(committed.length() - (committedIds.length - common));
        committed.close();
        committed = cut;
        committedIds = Arrays.copyOf(committedIds, common);
      }
      // commit what later text can no longer change; keep within the head half of a truncated response
      int stable = Math.max(0, ids.length - HOLD_BACK_TOKENS - plan.trailerTokens());
      int limit = ids.length > budget ? Math.min(stable, budget / 2) : stable;
      if (limit > committedIds.length) {
        long[] add = Arrays.copyOfRange(ids, committedIds.length, limit);
        KvCache next = runtime.extend(committed, new long[][] {add}, request.cancellation(), "stream append");
        committed.close();
        committed = next;
        committedIds = Arrays.copyOf(ids, limit);
      }
    }

    @Override
    public Scores score() {
      checkOpen();
      long[] ids = sessionIds();
      int common = commonPrefix(committedIds, ids);
      KvCache base = committed;
      boolean temporary = false;
      if (common < committedIds.length) {
        base = committed.truncate(committed.length() - (committedIds.length - common));
        temporary = true;
      }
      try {
        long[] tail = Arrays.copyOfRange(ids, common, ids.length);
        Truncation truncation = null;
        if (ids.length > budget) {
          int head = budget / 2;
          if (common > head) { // never happens: append() commits at most budget/2 when over budget
            throw new IllegalStateException("committed " + common + " tokens beyond the head budget " + head);
          }
          long[] kept = headTail(ids, budget);
          tail = Arrays.copyOfRange(kept, common, kept.length);
          truncation = new Truncation(contextTokens + ids.length, contextTokens + budget, "tokens", "head+tail");
        }
        if (format.onePromptPerCategory()) {
          double[] yes = new double[plan.suffixes().size()];
          forkSuffixes(base, tail, plan, request, yes);
          return shieldGemmaScores(plan, yes, truncation);
        }
        long[] body = PromptEncoder.concat(tail, plan.suffixes().get(0));
        long[] row = PromptEncoder.concat(body, plan.chain());
        float[][][] logits = runtime.logits(base, new long[][] {row}, new int[][] {readPositions(plan, body.length)},
            new long[][][] {selectFor(plan)}, request.cancellation(), "stream score");
        return toScores(plan, logits[0], truncation);
      } finally {
        if (temporary) {
          base.close();
        }
      }
    }

    /**
     * The ids of judged response + trailer, equal to {@code encodeJudged(response)}, tokenizing only the text
     * after the anchor.
     */
    private long[] sessionIds() {
      String judged = format.judgedContent(response.toString());
      if (anchorChars > 0 && !judged.startsWith(anchorText)) { // the format rewrote earlier text: start over
        anchorChars = 0;
        anchorText = "";
        anchorIds.clear();
        nextAnchorTry = 0;
      }
      long[] tail = encodeTail(judged.substring(anchorChars));
      lastEncodedTokens = tail.length;
      long[] ids = PromptEncoder.concat(anchorIds.toArray(), tail);
      if (judged.length() - anchorChars > 2 * ANCHOR_WINDOW_CHARS && judged.length() >= nextAnchorTry) {
        moveAnchor(judged, tail);
      }
      return ids;
    }

    private long[] encodeTail(String judgedTail) {
      return encoder.encode(Segment.content(judgedTail), Segment.template(format.trailer()));
    }

    private void moveAnchor(String judged, long[] tail) {
      int at = -1;
      for (int i = judged.length() - ANCHOR_WINDOW_CHARS; i > anchorChars + 1 && at < 0; i--) {
        if (judged.charAt(i) == ' ' && !Character.isWhitespace(judged.charAt(i - 1))
            && Character.isLetter(judged.charAt(i + 1))) {
          at = i;
        }
      }
      nextAnchorTry = judged.length() + ANCHOR_WINDOW_CHARS;
      if (at < 0) {
        return; // no word start to cut at yet: keep re-reading from the old anchor
      }
      long[] head = encoder.encode(Segment.content(judged.substring(anchorChars, at)));
      long[] rest = encodeTail(judged.substring(at));
      lastEncodedTokens += head.length + rest.length;
      if (Arrays.equals(PromptEncoder.concat(head, rest), tail)) {
        anchorIds.addAll(head);
        anchorChars = at;
        anchorText = judged.substring(0, at);
      }
    }

    /** Tokens the last append or score tokenized (the bounded tail, plus any anchor check); for tests. */
    int lastEncodedTokens() {
      return lastEncodedTokens;
    }

    /** The ids the session works on (anchor ids + tail); for tests. */
    long[] currentIds() {
      return sessionIds();
    }

    @Override
    public long committedTokens() {
      return committedIds.length;
    }

    /** The committed cache's length in tokens (prefix + conversation + committed response); for tests. */
    int committedCacheLength() {
      return committed.length();
    }

    /** A bitwise copy of the committed KV tensors; for tests. */
    byte[][] committedSnapshot() {
      return committed.snapshot();
    }

    /** Response tokens (judged content + trailer) the next score would read; for tests. */
    int responseTokens() {
      return encodeJudged(response.toString()).length;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        committed.close();
      }
    }
  }

  static int commonPrefix(long[] a, long[] b) {
    int n = Math.min(a.length, b.length);
    int i = 0;
    while (i < n && a[i] == b[i]) {
      i++;
    }
    return i;
  }
}
