package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.ClassifierProvider;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomy;
import dev.parapet.guard.text.InputNotes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The {@link Guard} implementation: the order of a check (normalize, empty input, cache, classify, verdict,
 * listeners). Where work runs and for how long is {@link TimedRunner}'s job, the cache and its single-flight
 * runs {@link ScoreCache}'s, building verdicts {@link VerdictFactory}'s. Thread-safe: every field is final and
 * immutable or concurrent; per-call state lives on the stack.
 */
final class DefaultGuard implements Guard {
  private static final System.Logger LOG = System.getLogger(Guard.class.getName());

  /** How long close() waits for cancelled work to return before leaving the classifier to the last of it. */
  static final Duration CLOSE_DRAIN = Duration.ofSeconds(10);

  /** The settings it was built with, the classifier it actually uses included (for newBuilder()). */
  private final GuardSettings settings;
  /** The classifier as given, and wrapped with the text views and the input notes (what checks call). */
  private final Classifier unwrapped;
  private final Classifier classifier;
  private final ClassifierInfo info;
  private final Taxonomy taxonomy;
  private final Taxonomy effectiveTaxonomy;
  private final Policy policy;
  /** Null when the cache is off. */
  private final ScoreCache cache;
  private final Listeners listeners;
  private final TextNormalizer normalizer;
  private final VerdictFactory verdicts;
  private final TimedRunner runner;
  private final GuardState state;

  private DefaultGuard(GuardSettings s) {
    this.settings = s;
    this.unwrapped = s.classifier();
    // The one hook of the text views: the judged turn's views are scored with it, max per category; outside it
    // the judged text's own notes (token-poor, unsupported language), which the policy reads.
    this.classifier = InputNotes.wrap(s.textViews().wrap(unwrapped));
    this.info = requireNonNull(unwrapped.info(), "classifier.info()");
    this.taxonomy = s.taxonomy() != null ? s.taxonomy() : info.taxonomy();
    s.policy().validateAgainst(taxonomy);
    this.policy = s.policy();
    this.effectiveTaxonomy = policy.effectiveTaxonomy(taxonomy);
    if (!info.supports(Capability.CUSTOM_TAXONOMY) && !info.taxonomy().codes().containsAll(taxonomy.codes())) {
      LOG.log(System.Logger.Level.WARNING, "classifier " + info.id() + " does not declare CUSTOM_TAXONOMY, but "
          + "taxonomy " + taxonomy.name() + " has codes outside its own " + info.taxonomy().codes()
          + "; scores for those categories may be meaningless");
    }
    if (!s.cacheEnabled()) {
      this.cache = null;
    } else if (s.sharedCache() != null) {
      this.cache = s.sharedCache().sharedWithNewFlights();
    } else {
      this.cache = ScoreCache.create(s.cacheMaximumSize(), s.cacheExpireAfterWrite(), s.ticker());
    }
    this.listeners = new Listeners(s.listeners());
    this.normalizer = new TextNormalizer(s.maxInputChars());
    this.verdicts = new VerdictFactory(info.id(), taxonomy, effectiveTaxonomy, policy, s.ticker());
    this.runner = new TimedRunner(s.executor(), s.timeout(), s.timer());
    this.state = new GuardState(info.id(), s.classifierOwnerClosed());
  }

  static Guard create(GuardSettings s) {
    if (s.classifier() != null) {
      return new DefaultGuard(s);
    }
    Classifier c = loadDefaultClassifier();
    try {
      return new DefaultGuard(s.withClassifier(c, true));
    } catch (RuntimeException | Error e) {
      c.close(); // we created it; nobody else will close it
      throw e;
    }
  }

  private static Classifier loadDefaultClassifier() {
    List<String> seen = new ArrayList<>();
    try {
      for (ClassifierProvider p : ServiceLoader.load(ClassifierProvider.class)) {
        if (p.isDefault()) {
          LOG.log(System.Logger.Level.DEBUG, "using default classifier provider " + p.name());
          return requireNonNull(p.create(Map.of()), "provider " + p.name() + " returned null");
        }
        seen.add(p.name());
      }
    } catch (ServiceConfigurationError e) {
      throw new IllegalStateException("loading ClassifierProvider services failed: " + e.getMessage()
          + "; add dev.parapet:guard-onnx (which bundles the default model) or call classifier(...)", e);
    }
    throw new IllegalStateException("no classifier: Guard.builder() was given none and no default "
        + "ClassifierProvider is on the classpath" + (seen.isEmpty() ? "" : " (found non-default " + seen + ")")
        + "; add dev.parapet:guard-onnx (which bundles the default model) or call classifier(...)");
  }

  // ---------------------------------------------------------------- API

  @Override
  public Verdict check(Conversation conversation) {
    requireNonNull(conversation, "conversation");
    state.ensureOpen();
    long t0 = verdicts.start();
    listeners.checkStarted(conversation);
    Verdict v = judge(conversation, Cancellation.create(), t0, this::classifyWaiting, () -> false);
    return finish(conversation, v);
  }

  @Override
  public Verdict checkPrompt(String prompt) {
    return check(Conversation.ofPrompt(requireNonNull(prompt, "prompt")));
  }

  @Override
  public Verdict checkResponse(String prompt, String response) {
    requireNonNull(prompt, "prompt");
    requireNonNull(response, "response");
    return check(Conversation.ofExchange(prompt, response));
  }

  @Override
  public List<Verdict> checkAll(List<Conversation> conversations) {
    requireNonNull(conversations, "conversations");
    for (int i = 0; i < conversations.size(); i++) {
      requireNonNull(conversations.get(i), "conversations[" + i + "]");
    }
    state.ensureOpen();
    long t0 = verdicts.start();
    int n = conversations.size();
    Verdict[] out = new Verdict[n];
    TextNormalizer.Result[] prepared = new TextNormalizer.Result[n];
    Map<ScoreCache.Key, List<Integer>> misses = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Conversation c = conversations.get(i);
      listeners.checkStarted(c);
      TextNormalizer.Result p = normalizer.normalize(c);
      prepared[i] = p;
      if (p.emptyJudgedText()) {
        out[i] = finish(c, verdicts.empty(target(p), p.notes(), t0));
        continue;
      }
      ScoreCache.Key key = key(p);
      Scores hit = cache == null ? null : cache.getIfPresent(key);
      if (hit != null) {
        listeners.cacheHit(c);
        out[i] = finish(c, verdicts.judged(target(p), p.notes(), hit, true, t0));
      } else {
        misses.computeIfAbsent(key, k -> new ArrayList<>(1)).add(i);
      }
    }
    if (!misses.isEmpty()) {
      Cancellation cancel = Cancellation.create();
      List<ClassificationRequest> requests = new ArrayList<>(misses.size());
      for (List<Integer> idx : misses.values()) {
        requests.add(new ClassificationRequest(prepared[idx.get(0)].conversation(), effectiveTaxonomy, cancel));
      }
      Attempt<List<Scores>> a = runner.runWaiting(() -> {
        List<Scores> s = classifier.classifyBatch(requests);
        if (s == null || s.size() != requests.size()) {
          throw new ClassificationException("classifier " + info.id() + " returned "
              + (s == null ? "null" : s.size() + " scores") + " for a batch of " + requests.size());
        }
        return s;
      }, cancel);
      int k = 0;
      for (Map.Entry<ScoreCache.Key, List<Integer>> e : misses.entrySet()) {
        Scores s = a.ok() ? a.value.get(k) : null;
        if (a.ok() && s == null) {
          a = Attempt.failed(Failure.Kind.CLASSIFIER_ERROR,
              new ClassificationException("classifier " + info.id() + " returned null scores in a batch"));
        }
        if (s != null && cache != null) {
          cache.put(e.getKey(), s);
        }
        for (int i : e.getValue()) {
          Conversation c = conversations.get(i);
          TextNormalizer.Result p = prepared[i];
          if (s != null) {
            out[i] = finish(c, verdicts.judged(target(p), p.notes(), s, false, t0));
          } else {
            listeners.classifierFailed(c, a.error);
            out[i] = finish(c, verdicts.failed(target(p), p.notes(), a, t0));
          }
        }
        k++;
      }
    }
    return List.of(out);
  }

  @Override
  public CompletableFuture<Verdict> checkAsync(Conversation conversation) {
    requireNonNull(conversation, "conversation");
    state.ensureOpen();
    return runner.async(new TimedRunner.AsyncCheck<>() {
      @Override
      public void accepted() {
        listeners.checkStarted(conversation);
      }

      @Override
      public Verdict run(Cancellation cancel, AtomicBoolean answered) {
        state.ensureOpen(); // a user-supplied executor may run it after close()
        long t0 = verdicts.start();
        Verdict v = judge(conversation, cancel, t0, DefaultGuard.this::classifyHere, answered::get);
        if (v == null || !answered.compareAndSet(false, true)) {
          return null; // the async timeout already answered
        }
        return finish(conversation, v);
      }

      @Override
      public Verdict rejected(RejectedExecutionException e) {
        state.ensureOpen(); // closed meanwhile: ISE, as documented
        // A saturated user executor: the same outcome as a sync check whose hop is rejected.
        long t0 = verdicts.start();
        listeners.classifierFailed(conversation, e);
        TextNormalizer.Result p = normalizer.normalize(conversation);
        Attempt<Verdict> a = Attempt.failed(Failure.Kind.CANCELLED, e);
        return finish(conversation, verdicts.failed(target(p), p.notes(), a, t0));
      }

      @Override
      public Verdict timedOut(TimeoutException e) {
        listeners.classifierFailed(conversation, e);
        TextNormalizer.Result p = normalizer.normalize(conversation);
        return finish(conversation, verdicts.timedOut(target(p), p.notes(), e, runner.timeout()));
      }
    });
  }

  @Override
  public StreamingSession openStream(Conversation promptConversation) {
    return openStream(promptConversation, settings.streamOptions());
  }

  @Override
  public StreamingSession openStream(Conversation promptConversation, StreamOptions options) {
    requireNonNull(promptConversation, "promptConversation");
    requireNonNull(options, "options");
    if (promptConversation.target() != Target.PROMPT) {
      throw new IllegalArgumentException("openStream takes the conversation the response answers, ending with "
          + "the user's turn; this one ends with the assistant's: " + promptConversation);
    }
    state.ensureOpen();
    return new DefaultStreamingSession(new DefaultStreamingSession.Context(normalizer, classifier,
        effectiveTaxonomy, listeners, runner, verdicts, state), promptConversation, options);
  }

  @Override
  public CacheStats cacheStats() {
    return cache == null ? CacheStats.EMPTY : cache.stats();
  }

  @Override
  public ClassifierInfo classifierInfo() {
    return info;
  }

  @Override
  public Taxonomy taxonomy() {
    return taxonomy;
  }

  @Override
  public Policy policy() {
    return policy;
  }

  @Override
  public StreamOptions streamOptions() {
    return settings.streamOptions();
  }

  @Override
  public Guard.Builder newBuilder() {
    state.ensureOpen();
    // Our own pool is not shared (the derived guard makes one); a user's executor is.
    return new Guard.Builder(settings.derived(unwrapped, state.flagForDerived(settings.ownsClassifier()), cache,
        runner.sharableExecutor()));
  }

  @Override
  public void close() {
    if (!state.close()) {
      return;
    }
    // Cancel first, interrupt after: work that sees the interrupt before its Cancellation could still answer.
    runner.stop();
    if (cache != null) {
      cache.stopFlights(); // shared runs carry their own cancellation, which the runner only sees for sync leaders
    }
    // Cancels every check in progress (on our pool, a user's executor or a caller's thread), waits for them to
    // return, and only then frees the classifier: freeing a native session under a running call crashes the JVM.
    runner.shutdown(CLOSE_DRAIN, this::closeClassifier);
  }

  private void closeClassifier() {
    if (settings.ownsClassifier()) {
      try {
        classifier.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing classifier " + info.id() + " threw; ignored", e);
      }
    }
  }

  @Override
  public String toString() {
    return "Guard[" + info.id() + ", " + taxonomy.name() + ", " + policy.toSpec()
        + (state.closedFlagSet() ? ", closed" : "") + "]";
  }

  // ---------------------------------------------------------------- internals

  /** Callers waiting for shared classifications in progress (tests); 0 with the cache off. */
  int sharedWaiters() {
    return cache == null ? 0 : cache.waiting();
  }

  boolean isClosed() {
    return state.isClosed();
  }

  /** How a check classifies a cache miss: {@link #classifyWaiting} or {@link #classifyHere}. */
  @FunctionalInterface
  private interface Classify {
    Attempt<Scores> run(ScoreCache.Key key, TextNormalizer.Result p, Cancellation cancel);
  }

  /**
   * The verdict of one check, listeners' checkFinished not yet told. Returns null when the check failed after
   * {@code answered} was set (the async timeout answered first).
   */
  private Verdict judge(Conversation c, Cancellation cancel, long t0, Classify classify, BooleanSupplier answered) {
    TextNormalizer.Result p = normalizer.normalize(c);
    if (p.emptyJudgedText()) {
      return verdicts.empty(target(p), p.notes(), t0);
    }
    ScoreCache.Key key = key(p);
    Scores hit = cache == null ? null : cache.getIfPresent(key);
    if (hit != null) {
      listeners.cacheHit(c);
      return verdicts.judged(target(p), p.notes(), hit, true, t0);
    }
    Attempt<Scores> a = classify.run(key, p, cancel);
    if (a.ok()) {
      return verdicts.judged(target(p), p.notes(), a.value, false, t0);
    }
    if (answered.getAsBoolean()) {
      return null; // the async timeout already answered
    }
    listeners.classifierFailed(c, a.error);
    return verdicts.failed(target(p), p.notes(), a, t0);
  }

  /**
   * A sync check's miss: classifies on the executor while this thread waits, so that the timeout and an
   * interrupt cancel the work.
   */
  private Attempt<Scores> classifyWaiting(ScoreCache.Key key, TextNormalizer.Result p, Cancellation cancel) {
    if (cache != null) {
      return cache.loadWaiting(key, run -> classifyWork(p, run), cancel, runner, state::isClosed);
    }
    return runner.runWaiting(classifyWork(p, cancel), cancel);
  }

  /** An async check's miss: already on the executor (tracked, under its own timer), classifies right here. */
  private Attempt<Scores> classifyHere(ScoreCache.Key key, TextNormalizer.Result p, Cancellation cancel) {
    if (cache != null) {
      return cache.loadHere(key, run -> classifyWork(p, run), cancel, runner, state::isClosed);
    }
    return TimedRunner.runHere(classifyWork(p, cancel), cancel);
  }

  private Verdict finish(Conversation c, Verdict v) {
    listeners.checkFinished(c, v);
    return v;
  }

  private Callable<Scores> classifyWork(TextNormalizer.Result p, Cancellation cancel) {
    ClassificationRequest req = new ClassificationRequest(p.conversation(), effectiveTaxonomy, cancel);
    return () -> {
      Scores s = classifier.classify(req);
      if (s == null) {
        throw new ClassificationException("classifier " + info.id() + " returned null scores");
      }
      return s;
    };
  }

  private ScoreCache.Key key(TextNormalizer.Result p) {
    return ScoreCache.key(info.id(), effectiveTaxonomy.hash(), p.conversation());
  }

  private static Target target(TextNormalizer.Result p) {
    return p.conversation().target();
  }
}
