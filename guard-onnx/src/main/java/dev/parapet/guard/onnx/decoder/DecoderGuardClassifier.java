package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.Target;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
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
 * <p>This class is the facade; the work lives in package-private collaborators: {@code DecoderLoader} (loading
 * and validation), {@code PromptPreparer} (requests to ids, plan cache), {@code DecoderRunner} (batched logit
 * runs, suffix forks, prefix cache, answer generation), {@code DecisionScorer} (logits to scores per family) and
 * {@code DecoderStreamSession} (streaming).
 *
 * <p>Thread-safe: share one instance. Owns an ONNX Runtime session, tokenizers and cached KV tensors: close it.
 */
public final class DecoderGuardClassifier implements Classifier, IncrementalClassifier {
  private final GuardFamily family;
  private final PromptFormat format;
  private final DecoderOptions options;
  private final OrtSessions.Opened opened;
  private final ContentTokenizer tokenizer;
  private final PromptPreparer preparer;
  private final DecoderRunner runner;
  private final ClassifierInfo info;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Built by {@link DecoderLoader} once everything is validated; takes ownership of the session and tokenizer. */
  DecoderGuardClassifier(DecoderOptions options, OrtSessions.Opened opened, DecoderRuntime runtime,
      ContentTokenizer tokenizer, DecoderPrompts prompts, Taxonomy taxonomy, String modelHash) {
    this.family = prompts.family();
    this.options = options;
    this.opened = opened;
    this.tokenizer = tokenizer;
    this.preparer = prompts.preparer();
    this.format = preparer.format();
    this.runner = new DecoderRunner(runtime, format, tokenizer, options);
    Set<Capability> caps = EnumSet.copyOf(prompts.capabilities());
    if (options.categoryMode() != CategoryMode.EXACT) {
      caps.add(Capability.INCREMENTAL);
    }
    String mode = options.categoryMode() == CategoryMode.TEACHER_FORCED ? ""
        : "+" + options.categoryMode().name().toLowerCase(Locale.ROOT);
    this.info = new ClassifierInfo(family.id() + "@" + modelHash + mode, taxonomy, caps,
        preparer.maxContextTokens(), opened.device().toString());
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
    return DecoderLoader.load(dir, options);
  }

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
        out[i] = runner.classifyPerCategory(preparer.prepare(r, options.categoryMode()), r);
      } else {
        plain.add(i);
      }
    }
    for (int from = 0; from < plain.size(); from += options.maxBatchSize()) {
      List<Integer> idx = plain.subList(from, Math.min(plain.size(), from + options.maxBatchSize()));
      List<PromptPreparer.Prepared> prepared = new ArrayList<>();
      for (int i : idx) {
        prepared.add(preparer.prepare(requests.get(i), options.categoryMode()));
      }
      List<Scores> scores = runner.scoreOnePrompt(prepared, requests.get(idx.get(0)));
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
    return new DecoderStreamSession(runner, preparer, options.categoryMode(), this::checkOpen, request);
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
    return runner.generate(preparer.prepare(request, CategoryMode.NONE), request.cancellation(), maxNewTokens);
  }

  /** Releases the session, tokenizers and cached KV tensors. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        runner.close();
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
  // test seams: the collaborators, for tests in this package (and the benchmarks' PromptTokens)

  PromptPreparer preparer() {
    return preparer;
  }

  DecoderRunner runner() {
    return runner;
  }
}
