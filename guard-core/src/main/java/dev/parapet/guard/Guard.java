package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.event.GuardListener;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.ClassifierProvider;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomy;
import dev.parapet.guard.text.TextViews;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Checks prompts and responses against a taxonomy and a policy. The entry point of Parapet.
 *
 * <pre>{@code
 * try (Guard guard = Guard.builder().classifier(myClassifier)
 *     .policy(PolicySpec.parse("default=block@0.5, S6=flag@0.7")).build()) {
 *   Verdict v = guard.checkPrompt("How do I make a pipe bomb?");
 *   if (v.isBlocked()) { ... }
 * }
 * }</pre>
 *
 * <p><b>Thread-safety:</b> a Guard is thread-safe and meant to be shared: build one per model and policy, use it
 * from every thread. Its state is immutable apart from the result cache (Caffeine, concurrent) and its closed
 * flag. {@link StreamingSession}s it opens are used from one thread each.
 *
 * <h2>Input handling</h2>
 *
 * Before the cache and the classifier see a conversation, every turn's text is normalized:
 *
 * <ol>
 *   <li>lone (unpaired) UTF-16 surrogates are replaced by U+FFFD;
 *   <li>Unicode NFKC normalization (so full-width and compatibility forms judge, and cache, like their plain
 *       forms);
 *   <li>control characters other than {@code \n}, {@code \t}, {@code \r} are removed;
 *   <li>zero-width characters (U+200B-U+200D, U+2060, U+FEFF) are removed;
 *   <li>a turn longer than {@code maxInputChars} (default 100,000) keeps its first and last halves joined by a
 *       newline, and the verdict notes it, {@link Note.Kind#INPUT_TRUNCATED}
 *       {@code "input-truncated: N of M chars kept (head+tail)"} (never silent; context turns are noted as
 *       {@link Note.Kind#CONTEXT_TRUNCATED} {@code "context-truncated: turn i (ROLE): ..."});
 *   <li>when the judged text (the last turn) is empty or whitespace after this, the classifier is not called
 *       and the verdict is ALLOW with the note {@link Note.Kind#EMPTY_INPUT} {@code "empty-input: not classified"}.
 * </ol>
 *
 * Text that imitates a model's special tokens ({@code <|eot_id|>}) is passed on as plain text; backends must
 * not interpret it (their contract test checks this). The classifier's own token-level truncation is reported
 * in {@link Verdict#scores()} and as a {@link Note.Kind#CLASSIFIER_TRUNCATED} {@code "classifier-truncated: ..."}
 * note. Notes are typed ({@link Note}: code reads {@link Note#kind()}); the strings here are their
 * {@code toString()}, which is also what {@link Verdict#toJson()} writes.
 *
 * <h2>Failures</h2>
 *
 * A check never throws because the classifier failed: when it throws, returns null, times out (default budget
 * 30 s, {@link Builder#timeout}) or the calling thread is interrupted (the work runs on the executor while the
 * caller waits, so the interrupt cancels it, native run included, and the verdict is CANCELLED), the verdict applies the policy's {@link dev.parapet.guard.policy.FailureMode} (CLOSED: BLOCK,
 * OPEN: ALLOW) and records a {@link Failure}. Failures are not cached. Methods throw
 * {@link NullPointerException} for null arguments (naming the parameter) and {@link IllegalStateException}
 * after {@link #close()}.
 *
 * <h2>Cache</h2>
 *
 * A bounded Caffeine cache (default 10,000 entries) keyed by classifier id, the hash of the taxonomy the
 * classifier is given (the policy's {@link Policy#effectiveTaxonomy effective taxonomy}) and the normalized
 * turns (conversations over 2,048 chars are keyed by a SHA-256 digest, so an entry stays small whatever the
 * input size). It holds scores, not verdicts, so guards derived with {@link #newBuilder()} that only change the
 * policy's thresholds share hits. Failures are never cached; streaming sessions never use it. Concurrent
 * identical misses may each call the classifier (there is no single-flight loading, so a slow or timed-out call
 * never blocks other callers).
 *
 * <h2>Ownership</h2>
 *
 * {@link #close()} closes what the guard owns: the classifier given to {@link Builder#classifier(Classifier)}
 * (or found through {@link java.util.ServiceLoader}) and the default executor. A guard built from
 * {@link #newBuilder()} shares the classifier and the cache of the guard it came from (and an executor you
 * supplied) but does not own the classifier: closing it leaves the original working; closing the original
 * closes the classifier and makes the derived guard throw {@link IllegalStateException}. A derived guard has
 * its own default executor pool (threads start lazily), closed with it.
 */
public interface Guard extends AutoCloseable {

  /** A builder with the defaults described on each setter. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Judges the conversation's last turn (a prompt, or a response in the context of its prompt).
   *
   * @throws NullPointerException if {@code conversation} is null
   * @throws IllegalStateException if this guard is closed
   */
  Verdict check(Conversation conversation);

  /** Judges one user prompt: {@code check(Conversation.ofPrompt(prompt))}. */
  Verdict checkPrompt(String prompt);

  /** Judges a response to a prompt: {@code check(Conversation.ofExchange(prompt, response))}. */
  Verdict checkResponse(String prompt, String response);

  /**
   * Judges many conversations, in order. Cache hits are answered from the cache; the misses (deduplicated)
   * go to the classifier in ONE {@link Classifier#classifyBatch} call, under one timeout when a timeout is set.
   * If that call fails, every miss gets a failure verdict.
   *
   * @throws NullPointerException if the list or an element is null (naming its index)
   */
  List<Verdict> checkAll(List<Conversation> conversations);

  /**
   * Judges on the guard's executor. Cancelling the returned future ({@code cancel(true)} or {@code false})
   * cancels the check's work: its {@link dev.parapet.guard.spi.Cancellation} fires (terminating a native run)
   * and its thread is interrupted. The future always completes: with a verdict (failures and timeouts become
   * failure verdicts; with a timeout set, the future completes when it passes even if the classifier ignores
   * the cancellation), or exceptionally with {@link IllegalStateException} when the guard is closed before the
   * check runs. If the executor rejects the task, the future holds a CANCELLED failure verdict (the policy's
   * failure mode decides), as a synchronous check with a timeout would.
   *
   * @throws IllegalStateException if the guard is already closed
   */
  CompletableFuture<Verdict> checkAsync(Conversation conversation);

  /**
   * Opens a session that guards the streamed response to {@code promptConversation} with the guard's stream
   * options.
   *
   * @throws IllegalArgumentException if the conversation's last turn is not the user's
   */
  StreamingSession openStream(Conversation promptConversation);

  /** As {@link #openStream(Conversation)}, with these options. */
  StreamingSession openStream(Conversation promptConversation, StreamOptions options);

  /** A snapshot of the result cache's counters; {@link CacheStats#EMPTY} without a cache. */
  CacheStats cacheStats();

  /** The classifier's description. */
  ClassifierInfo classifierInfo();

  /** The taxonomy verdicts refer to (before removing the policy's off categories). */
  Taxonomy taxonomy();

  Policy policy();

  /** The stream options {@link #openStream(Conversation)} uses. */
  StreamOptions streamOptions();

  /**
   * A builder preset with this guard's settings that SHARES its classifier and cache (and the executor, if you
   * supplied one). The guard it builds does not own (or close) the classifier; this guard keeps ownership, and
   * closing this guard makes the derived one throw {@link IllegalStateException}. Changing the classifier or
   * cache settings on the returned builder replaces the shared one.
   *
   * <pre>{@code
   * Guard strict = guard.newBuilder().policy(PolicySpec.parse("default=block@0.3")).build();
   * }</pre>
   */
  Builder newBuilder();

  /**
   * Closes what this guard owns (see the class comment). Idempotent. New checks throw
   * {@link IllegalStateException}; queued async checks complete exceptionally with {@link IllegalStateException};
   * every running check (async, or a synchronous one on any caller's thread) is cancelled through its
   * {@link dev.parapet.guard.spi.Cancellation}, which terminates a native run, and ends with a CANCELLED failure
   * verdict (the policy's failure mode decides). The classifier is closed only after the last running call
   * returned: close waits up to 10 seconds for that; a classifier that ignores its cancellation longer is closed
   * by the thread of the last call to return, never under a running one.
   */
  @Override
  void close();

  /**
   * Builds a {@link Guard}. Each setter checks its argument at once; {@link #build()} checks combinations and
   * leaves the builder unchanged, so it can be reused. Not thread-safe.
   *
   * <p><b>Setting a value twice:</b> the last call wins. Every setter replaces what an earlier call set, and the
   * setters that configure the same thing replace each other: {@link #classifier} and
   * {@link #borrowedClassifier}; {@link #cache(long)}, {@link #cache(long, Duration)} and {@link #noCache()};
   * {@link #timeout} and {@link #noTimeout()}. The one exception is {@link #listener}, which adds a listener to
   * those added before.
   */
  final class Builder {
    static final int DEFAULT_CACHE_SIZE = 10_000;
    static final int DEFAULT_MAX_INPUT_CHARS = 100_000;
    /** The default per-check budget (see {@link #timeout(Duration)}). */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private Classifier classifier;
    private java.nio.file.Path modelDir;
    private java.util.Map<String, String> modelOptions = java.util.Map.of();
    private boolean ownsClassifier;
    private AtomicBoolean classifierOwnerClosed;
    private Taxonomy taxonomy;
    private Policy policy = Policy.defaults();
    private boolean cacheEnabled = true;
    private long cacheMaximumSize = DEFAULT_CACHE_SIZE;
    private Duration cacheExpireAfterWrite;
    private ScoreCache sharedCache;
    private Executor executor;
    private Duration timeout = DEFAULT_TIMEOUT;
    private final List<GuardListener> listeners = new ArrayList<>();
    private Ticker ticker = Ticker.system();
    private int maxInputChars = DEFAULT_MAX_INPUT_CHARS;
    private StreamOptions streamOptions = StreamOptions.defaults();
    private TextViews textViews = TextViews.defaults();
    private GuardTimer timer = GuardTimer.system();

    Builder() {}

    /** A builder preset with {@code s} ({@link Guard#newBuilder()}). */
    Builder(GuardSettings s) {
      classifier = s.classifier();
      ownsClassifier = s.ownsClassifier();
      classifierOwnerClosed = s.classifierOwnerClosed();
      taxonomy = s.taxonomy();
      policy = s.policy();
      cacheEnabled = s.cacheEnabled();
      cacheMaximumSize = s.cacheMaximumSize();
      cacheExpireAfterWrite = s.cacheExpireAfterWrite();
      sharedCache = s.sharedCache();
      executor = s.executor();
      timeout = s.timeout();
      listeners.addAll(s.listeners());
      ticker = s.ticker();
      maxInputChars = s.maxInputChars();
      streamOptions = s.streamOptions();
      textViews = s.textViews();
      timer = s.timer();
    }

    /** What this builder was told, as one immutable value. */
    GuardSettings settings() {
      return new GuardSettings(classifier, ownsClassifier, classifierOwnerClosed, taxonomy, policy, cacheEnabled,
          cacheMaximumSize, cacheExpireAfterWrite, sharedCache, executor, timeout, listeners, ticker, maxInputChars,
          streamOptions, textViews, timer);
    }

    /**
     * The time source of timeouts (package-private test seam): a test's manual clock drives them instead of wall
     * time. Pass the same clock to {@link #ticker} so that latencies and timeouts read one time.
     */
    Builder timer(GuardTimer timer) {
      this.timer = requireNonNull(timer, "timer");
      return this;
    }

    /** Which obfuscation-undoing views of the judged text are scored too (max per category); all on by default. */
    public Builder textViews(TextViews views) {
      this.textViews = requireNonNull(views, "views");
      return this;
    }

    /**
     * The classifier, OWNED by the guard: {@link Guard#close()} closes it. Use this for a classifier made for
     * this guard alone; use {@link #borrowedClassifier} for one you share and close yourself. Replaces an earlier
     * {@code classifier} or {@code borrowedClassifier} call.
     */
    public Builder classifier(Classifier classifier) {
      return setClassifier(classifier, true);
    }

    /**
     * The classifier, BORROWED: the guard uses it but never closes it; you close it, after every guard that uses
     * it is closed. Replaces an earlier {@code classifier} or {@code borrowedClassifier} call.
     */
    public Builder borrowedClassifier(Classifier classifier) {
      return setClassifier(classifier, false);
    }

    private Builder setClassifier(Classifier classifier, boolean owned) {
      this.classifier = requireNonNull(classifier, "classifier");
      this.ownsClassifier = owned;
      this.classifierOwnerClosed = null;
      this.modelDir = null;
      return this;
    }

    /**
     * An exported model folder (a guard LLM export with its {@code parapet-model.json}), loaded at {@link #build()}
     * by the {@link ClassifierProvider} whose {@link ClassifierProvider#name()} is the manifest's {@code family}
     * (found through {@link java.util.ServiceLoader}: guard-onnx registers {@code llama-guard-3},
     * {@code llama-guard-4}, {@code qwen3guard-gen} and {@code shieldgemma}). The guard owns the classifier.
     * Replaces an earlier {@link #classifier}.
     */
    public Builder model(java.nio.file.Path dir) {
      return model(dir, java.util.Map.of());
    }

    /**
     * As {@link #model(java.nio.file.Path)}, with provider options besides {@code model} (for the decoders:
     * {@code device}, {@code threads}, {@code category-mode}).
     */
    public Builder model(java.nio.file.Path dir, java.util.Map<String, String> options) {
      this.modelDir = requireNonNull(dir, "dir");
      requireNonNull(options, "options");
      if (options.containsKey("model")) {
        throw new IllegalArgumentException("options must not set 'model' (the folder is the dir argument): "
            + options);
      }
      this.modelOptions = java.util.Map.copyOf(options);
      this.classifier = null;
      this.ownsClassifier = true;
      this.classifierOwnerClosed = null;
      return this;
    }

    /** The taxonomy to judge against; default: the classifier's {@code info().taxonomy()}. */
    public Builder taxonomy(Taxonomy taxonomy) {
      this.taxonomy = requireNonNull(taxonomy, "taxonomy");
      return this;
    }

    /** The policy; default {@link Policy#defaults()}. Validated against the taxonomy in {@link #build()}. */
    public Builder policy(Policy policy) {
      this.policy = requireNonNull(policy, "policy");
      return this;
    }

    /** A result cache of at most {@code maximumSize} entries (default 10,000). */
    public Builder cache(long maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("cache maximumSize must be >= 1 (or call noCache()), was " + maximumSize);
      }
      this.cacheEnabled = true;
      this.cacheMaximumSize = maximumSize;
      this.cacheExpireAfterWrite = null;
      this.sharedCache = null;
      return this;
    }

    /** A result cache of at most {@code maximumSize} entries that expire this long after being written. */
    public Builder cache(long maximumSize, Duration expireAfterWrite) {
      requireNonNull(expireAfterWrite, "expireAfterWrite");
      if (expireAfterWrite.isNegative() || expireAfterWrite.isZero()) {
        throw new IllegalArgumentException("expireAfterWrite must be positive, was " + expireAfterWrite);
      }
      cache(maximumSize);
      this.cacheExpireAfterWrite = expireAfterWrite;
      return this;
    }

    /** No result cache: every check calls the classifier. */
    public Builder noCache() {
      this.cacheEnabled = false;
      this.sharedCache = null;
      return this;
    }

    /**
     * The executor for {@link Guard#checkAsync} and for enforcing timeouts. Not owned: the guard never shuts it
     * down. It must run tasks on other threads (a direct executor cannot enforce a timeout: the caller would be
     * the one classifying). Default: a guard-owned pool of daemon threads ({@code max(2, cores)}, started
     * lazily, idle ones end after 30 s), shut down on close.
     */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    /**
     * A per-call time limit, the budget of one check (default 30 seconds: the embedded model needs about 4-16
     * s of CPU for a 100,000-char input on 2 cores, and a check that takes longer is more likely stuck than
     * useful). On timeout the guard cancels the request's {@link dev.parapet.guard.spi.Cancellation} (which
     * terminates a native ONNX Runtime run) and interrupts the classifying thread, and the verdict applies
     * the failure mode with {@link Failure.Kind#TIMEOUT}. The time spent waiting for an executor thread counts.
     */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Removes the per-call time limit. Checks still run on the executor while the calling thread waits, so an
     * interrupt of the calling thread still cancels the work (CANCELLED verdict).
     */
    public Builder noTimeout() {
      this.timeout = null;
      return this;
    }

    /** Adds a listener (several allowed, called in the order added). */
    public Builder listener(GuardListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /** The clock for latency measurement; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** Longest turn passed on unchanged (default 100,000 chars; longer turns keep head and tail). */
    public Builder maxInputChars(int maxInputChars) {
      if (maxInputChars < 2) {
        throw new IllegalArgumentException("maxInputChars must be >= 2, was " + maxInputChars);
      }
      this.maxInputChars = maxInputChars;
      return this;
    }

    /** Options for {@link Guard#openStream(Conversation)}; default {@link StreamOptions#defaults()}. */
    public Builder streamOptions(StreamOptions options) {
      this.streamOptions = requireNonNull(options, "options");
      return this;
    }

    /**
     * Builds the guard. With a {@link #model} folder, loads it with the provider its manifest's family names; with
     * neither a classifier nor a folder set, uses the {@link ClassifierProvider} found by
     * {@link java.util.ServiceLoader} whose {@link ClassifierProvider#isDefault()} is true.
     *
     * @throws IllegalStateException when no classifier was set and no default provider is on the classpath
     * @throws ModelLoadException when the model folder has no readable manifest or no provider serves its family
     * @throws IllegalArgumentException when the policy names a category the taxonomy lacks
     */
    public Guard build() {
      if (modelDir == null) {
        return DefaultGuard.create(settings());
      }
      Classifier loaded = ClassifierProvider.forModelFolder(modelDir, modelOptions);
      try {
        return DefaultGuard.create(settings().withClassifier(loaded, true));
      } catch (RuntimeException | Error e) {
        loaded.close(); // loaded here; nobody else will close it
        throw e;
      }
    }
  }
}
