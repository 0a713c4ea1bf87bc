package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.parapet.guard.policy.FailureMode;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link Guard} implementation. Thread-safe: every field is final and immutable or concurrent (the Caffeine
 * cache, the closed flag); per-call state lives on the stack.
 */
final class DefaultGuard implements Guard {
  private static final System.Logger LOG = System.getLogger(Guard.class.getName());
  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  /** Texts longer than this (all turns together) are keyed by a SHA-256 digest instead of held in the key. */
  static final int KEY_INLINE_CHARS = 2048;

  /**
   * Cache key: classifier id + effective taxonomy hash + the normalized turns (roles and texts), held as the
   * turn list when short, else as a SHA-256 digest of them, so a full cache of long inputs stays small.
   */
  record CacheKey(String classifierId, String taxonomyHash, Object content) {}

  final Classifier classifier;
  private final Classifier unwrapped;
  final ClassifierInfo info;
  private final boolean ownsClassifier;
  private final AtomicBoolean classifierOwnerClosed;
  final Executor executor;
  private final ExecutorService ownedPool;
  private final Taxonomy taxonomy;
  final Taxonomy effectiveTaxonomy;
  final Policy policy;
  private final Cache<CacheKey, Scores> cache;
  /** Concurrent identical cache misses share one classification; null when the cache is off. */
  private final SingleFlight flights;
  final Duration timeout;
  final Listeners listeners;
  final Ticker ticker;
  final TextNormalizer normalizer;
  private final StreamOptions streamOptions;
  private final Guard.Builder settings;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Work in progress, cancelled and awaited by close() before the classifier is freed. */
  final InFlight inFlight = new InFlight();
  /** How long close() waits for cancelled work to return before leaving the classifier to the last of it. */
  static final Duration CLOSE_DRAIN = Duration.ofSeconds(10);

  private DefaultGuard(Guard.Builder b, Classifier classifier, boolean ownsClassifier) {
    // The one hook of the text views: the judged turn's views are scored with it, max per category; outside it
    // the judged text's own notes (token-poor, unsupported language), which the policy reads.
    this.classifier = dev.parapet.guard.text.InputNotes.wrap(b.textViews.wrap(classifier));
    this.ownsClassifier = ownsClassifier;
    this.classifierOwnerClosed = b.classifierOwnerClosed;
    this.info = requireNonNull(classifier.info(), "classifier.info()");
    this.taxonomy = b.taxonomy != null ? b.taxonomy : info.taxonomy();
    b.policy.validateAgainst(taxonomy);
    this.policy = b.policy;
    this.effectiveTaxonomy = policy.effectiveTaxonomy(taxonomy);
    if (!info.supports(Capability.CUSTOM_TAXONOMY) && !info.taxonomy().codes().containsAll(taxonomy.codes())) {
      LOG.log(System.Logger.Level.WARNING, "classifier " + info.id() + " does not declare CUSTOM_TAXONOMY, but "
          + "taxonomy " + taxonomy.name() + " has codes outside its own " + info.taxonomy().codes()
          + "; scores for those categories may be meaningless");
    }
    this.cache = makeCache(b);
    this.flights = cache == null ? null : new SingleFlight();
    this.timeout = b.timeout;
    this.listeners = new Listeners(b.listeners);
    this.ticker = b.ticker;
    this.normalizer = new TextNormalizer(b.maxInputChars);
    this.streamOptions = b.streamOptions;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedPool = null;
    } else {
      // Threads start lazily, so a pool per guard (derived ones included) costs nothing until used.
      this.ownedPool = newPool();
      this.executor = ownedPool;
    }
    this.settings = b.copy();
    this.settings.classifier = classifier;
    this.unwrapped = classifier;
  }

  static Guard create(Guard.Builder b) {
    Classifier c = b.classifier;
    boolean owns = b.ownsClassifier;
    if (c == null) {
      c = b.modelDir != null ? loadModelFolder(b.modelDir, b.modelOptions) : loadDefaultClassifier();
      owns = true;
    }
    try {
      return new DefaultGuard(b, c, owns);
    } catch (RuntimeException | Error e) {
      if (b.classifier == null) {
        c.close(); // we created it; nobody else will close it
      }
      throw e;
    }
  }

  /** Guard.Builder.model: the provider named by parapet-model.json's family, with the folder as "model". */
  private static Classifier loadModelFolder(java.nio.file.Path dir, Map<String, String> options) {
    java.nio.file.Path manifest = dir.resolve("parapet-model.json");
    String family;
    try {
      family = new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest.toFile()).path("family")
          .asText("");
    } catch (java.io.IOException e) {
      throw new ModelLoadException(manifest + ": cannot read the model manifest (" + e.getMessage() + "); point"
          + " Guard.builder().model(...) at an exported folder with its parapet-model.json"
          + " (models/recipes/export/README.md)", e);
    }
    if (family.isEmpty()) {
      throw new ModelLoadException(manifest + ": no \"family\" key; write the manifest with"
          + " parapet model init DIR --family FAMILY");
    }
    List<String> seen = new ArrayList<>();
    try {
      for (ClassifierProvider p : ServiceLoader.load(ClassifierProvider.class)) {
        if (p.name().equals(family)) {
          Map<String, String> o = new java.util.HashMap<>(options);
          o.put("model", dir.toString());
          LOG.log(System.Logger.Level.DEBUG, "loading " + dir + " with classifier provider " + p.name());
          return requireNonNull(p.create(Map.copyOf(o)), "provider " + p.name() + " returned null");
        }
        seen.add(p.name());
      }
    } catch (ServiceConfigurationError e) {
      throw new ModelLoadException("loading ClassifierProvider services failed: " + e.getMessage(), e);
    }
    throw new ModelLoadException(manifest + ": no classifier provider for family '" + family + "' on the"
        + " classpath (available: " + seen + "); decoder families need dev.parapet:guard-onnx");
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

  @SuppressWarnings("unchecked")
  private static Cache<CacheKey, Scores> makeCache(Guard.Builder b) {
    if (!b.cacheEnabled) {
      return null;
    }
    if (b.sharedCache != null) {
      return (Cache<CacheKey, Scores>) b.sharedCache;
    }
    // Maintenance (eviction) on the calling thread: no work on ForkJoinPool.commonPool behind the user's back,
    // and the bound holds when a call returns rather than "eventually".
    Caffeine<Object, Object> c = Caffeine.newBuilder().maximumSize(b.cacheMaximumSize).recordStats()
        .executor(Runnable::run);
    if (b.cacheExpireAfterWrite != null) {
      Ticker t = b.ticker;
      c.expireAfterWrite(b.cacheExpireAfterWrite).ticker(t::read);
    }
    return c.build();
  }

  private static ExecutorService newPool() {
    int n = Math.max(2, Runtime.getRuntime().availableProcessors());
    int id = POOL_IDS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    ThreadFactory f = r -> {
      Thread t = new Thread(r, "parapet-guard-" + id + "-" + threads.incrementAndGet());
      t.setDaemon(true); // a forgotten close() must not keep the JVM alive
      return t;
    };
    ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), f);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  // ---------------------------------------------------------------- API

  @Override
  public Verdict check(Conversation conversation) {
    requireNonNull(conversation, "conversation");
    ensureOpen();
    return runCheck(conversation, Cancellation.create(), true, null, true);
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
    ensureOpen();
    long t0 = ticker.read();
    int n = conversations.size();
    Verdict[] out = new Verdict[n];
    TextNormalizer.Result[] prepared = new TextNormalizer.Result[n];
    Map<CacheKey, List<Integer>> misses = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Conversation c = conversations.get(i);
      listeners.checkStarted(c);
      TextNormalizer.Result p = normalizer.normalize(c);
      prepared[i] = p;
      if (p.emptyJudgedText()) {
        out[i] = finish(c, emptyVerdict(p, t0));
        continue;
      }
      CacheKey key = key(p);
      Scores hit = cache == null ? null : cache.getIfPresent(key);
      if (hit != null) {
        listeners.cacheHit(c);
        out[i] = finish(c, verdict(p, hit, true, t0));
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
      Attempt<List<Scores>> a = attempt(() -> {
        List<Scores> s = classifier.classifyBatch(requests);
        if (s == null || s.size() != requests.size()) {
          throw new ClassificationException("classifier " + info.id() + " returned "
              + (s == null ? "null" : s.size() + " scores") + " for a batch of " + requests.size());
        }
        return s;
      }, cancel, timeout);
      int k = 0;
      for (Map.Entry<CacheKey, List<Integer>> e : misses.entrySet()) {
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
          if (s != null) {
            out[i] = finish(c, verdict(prepared[i], s, false, t0));
          } else {
            listeners.classifierFailed(c, a.error);
            out[i] = finish(c, failureVerdict(prepared[i], a, t0));
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
    ensureOpen();
    Cancellation cancel = Cancellation.create();
    InFlight.Ticket ticket = inFlight.enter(cancel);
    if (ticket == null) {
      throw new IllegalStateException("this Guard is closed; build a new one");
    }
    AtomicBoolean done = new AtomicBoolean();
    CheckFuture result = new CheckFuture();
    // Started on the caller's thread: a task that times out while still queued never runs, yet its check
    // started (and finishes with a TIMEOUT verdict below).
    listeners.checkStarted(conversation);
    InFlight.TrackedTask<Verdict> task = new InFlight.TrackedTask<>(() -> {
      // The classification runs right here on the executor thread; the timeout (if any) is enforced below by
      // cancelling this task, so no second executor thread is needed (which could deadlock a bounded pool).
      ensureOpen(); // a user-supplied executor may run it after close()
      Verdict v = runCheck(conversation, cancel, false, done, false);
      if (v != null) {
        result.complete(v);
      }
      return v;
    }, ticket) {
      @Override
      void completed() {
        if (isCancelled()) {
          // Cancelled by close() while queued, or by the caller (future.cancel) (a timeout cancels only after
          // taking `done`).
          if (done.compareAndSet(false, true)) {
            result.completeExceptionally(new IllegalStateException("the Guard was closed before this check ran"));
          }
        } else {
          try {
            get();
          } catch (ExecutionException e) {
            if (done.compareAndSet(false, true)) {
              result.completeExceptionally(e.getCause());
            }
          } catch (InterruptedException | CancellationException e) {
            // not reached: completed() runs after completion
          }
        }
      }
    };
    // future.cancel(true) stops the work: the Cancellation terminates a native run, the interrupt the rest.
    result.onCancel = () -> {
      done.set(true);
      cancel.cancel();
      task.cancel(true);
    };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      done.set(true); // before cancelling the task, whose completion would otherwise answer
      task.cancel(false); // never ran: leaves the in-flight set
      ensureOpen(); // closed meanwhile: ISE, as documented
      // A saturated user executor: the same outcome as a sync check whose hop is rejected.
      long t0 = ticker.read();
      listeners.classifierFailed(conversation, e);
      Verdict v = failureVerdict(normalizer.normalize(conversation), Attempt.failed(Failure.Kind.CANCELLED, e), t0);
      listeners.checkFinished(conversation, v);
      result.complete(v);
      return result;
    }
    if (timeout != null) {
      CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS, Runnable::run).execute(() -> {
        if (!result.isDone() && done.compareAndSet(false, true)) {
          cancel.cancel();
          task.cancel(true);
          long t0 = ticker.read();
          TimeoutException te = new TimeoutException("classification did not finish within " + timeout);
          listeners.classifierFailed(conversation, te);
          TextNormalizer.Result p = normalizer.normalize(conversation);
          Verdict v = failureVerdict(p, Attempt.failed(Failure.Kind.TIMEOUT, te), t0).toBuilder()
              .latency(timeout).build();
          listeners.checkFinished(conversation, v);
          result.complete(v);
        }
      });
    }
    return result;
  }

  /** The future of {@link #checkAsync}: cancelling it cancels the check's work. */
  static final class CheckFuture extends CompletableFuture<Verdict> {
    volatile Runnable onCancel;

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      Runnable r = onCancel;
      if (cancelled && r != null) {
        r.run();
      }
      return cancelled;
    }
  }

  @Override
  public StreamingSession openStream(Conversation promptConversation) {
    return openStream(promptConversation, streamOptions);
  }

  @Override
  public StreamingSession openStream(Conversation promptConversation, StreamOptions options) {
    requireNonNull(promptConversation, "promptConversation");
    requireNonNull(options, "options");
    if (promptConversation.target() != Target.PROMPT) {
      throw new IllegalArgumentException("openStream takes the conversation the response answers, ending with "
          + "the user's turn; this one ends with the assistant's: " + promptConversation);
    }
    ensureOpen();
    return new DefaultStreamingSession(this, promptConversation, options);
  }

  @Override
  public CacheStats cacheStats() {
    if (cache == null) {
      return CacheStats.EMPTY;
    }
    cache.cleanUp(); // run pending maintenance so that the size and eviction count are current
    com.github.benmanes.caffeine.cache.stats.CacheStats s = cache.stats();
    return new CacheStats(s.hitCount(), s.missCount(), s.evictionCount(), cache.estimatedSize());
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
    return streamOptions;
  }

  @Override
  public Guard.Builder newBuilder() {
    ensureOpen();
    Guard.Builder b = settings.copy();
    b.classifier = unwrapped;
    b.ownsClassifier = false;
    b.classifierOwnerClosed = ownsClassifier ? closed : classifierOwnerClosed;
    b.executor = ownedPool != null ? null : executor; // our own pool is not shared: the derived guard makes one
    b.sharedCache = cache;
    b.cacheEnabled = cache != null;
    return b;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Cancel first, interrupt after: work that sees the interrupt before its Cancellation could still answer.
    inFlight.stop();
    if (flights != null) {
      flights.stop(); // shared runs carry their own cancellation, which inFlight only sees for sync leaders
    }
    if (ownedPool != null) {
      // Cancels queued checks (their futures complete exceptionally) and interrupts running ones; their native
      // runs are terminated through their Cancellation by inFlight.close below.
      for (Runnable queued : ownedPool.shutdownNow()) {
        if (queued instanceof java.util.concurrent.Future) {
          ((java.util.concurrent.Future<?>) queued).cancel(false);
        }
      }
    }
    // Cancels every check in progress (on our pool, a user's executor or a caller's thread), waits for them to
    // return, and only then frees the classifier: freeing a native session under a running call crashes the JVM.
    inFlight.close(CLOSE_DRAIN, this::closeClassifier);
  }

  private void closeClassifier() {
    if (ownsClassifier) {
      try {
        classifier.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing classifier " + info.id() + " threw; ignored", e);
      }
    }
  }

  @Override
  public String toString() {
    return "Guard[" + info.id() + ", " + taxonomy.name() + ", " + policy.toSpec() + (closed.get() ? ", closed" : "")
        + "]";
  }

  // ---------------------------------------------------------------- internals

  void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("this Guard is closed; build a new one");
    }
    if (classifierOwnerClosed != null && classifierOwnerClosed.get()) {
      throw new IllegalStateException("the Guard this one was derived from (newBuilder) was closed, and with it "
          + "the shared classifier " + info.id() + "; derive from a guard that is still open");
    }
  }

  /** Callers waiting for shared classifications in progress (tests); 0 with the cache off. */
  int sharedWaiters() {
    return flights == null ? 0 : flights.waiting();
  }

  boolean isClosed() {
    try {
      ensureOpen();
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  /**
   * One check. {@code hop}: classify on the executor while this thread waits, so that the timeout and an
   * interrupt cancel the work (sync calls); async calls pass false because they already run there, tracked and
   * under their own timer. {@code done}: when not null, the
   * verdict is only produced (and listeners told) if this call wins the race against the async timeout.
   */
  private Verdict runCheck(Conversation c, Cancellation cancel, boolean hop, AtomicBoolean done,
      boolean fireStarted) {
    long t0 = ticker.read();
    if (fireStarted) {
      listeners.checkStarted(c);
    }
    TextNormalizer.Result p = normalizer.normalize(c);
    Verdict v;
    if (p.emptyJudgedText()) {
      v = emptyVerdict(p, t0);
    } else {
      CacheKey key = key(p);
      Scores hit = cache == null ? null : cache.getIfPresent(key);
      if (hit != null) {
        listeners.cacheHit(c);
        v = verdict(p, hit, true, t0);
      } else {
        Attempt<Scores> a;
        if (flights != null) {
          a = classifyShared(key, p, cancel, hop);
        } else {
          Callable<Scores> work = classifyWork(p, cancel);
          a = hop ? attempt(work, cancel, timeout) : attemptHere(work, cancel);
        }
        if (a.ok()) {
          v = verdict(p, a.value, false, t0);
        } else {
          if (done != null && done.get()) {
            return null; // the async timeout already answered
          }
          listeners.classifierFailed(c, a.error);
          v = failureVerdict(p, a, t0);
        }
      }
    }
    if (done != null && !done.compareAndSet(false, true)) {
      return null;
    }
    return finish(c, v);
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

  /**
   * A cache miss with the cache on: leads or joins the {@link SingleFlight} for {@code key}, so concurrent
   * identical checks run one classification. The leader's run carries the flight's cancellation (not the
   * caller's), so a caller's timeout or cancel only stops its own wait. Caches a success.
   */
  private Attempt<Scores> classifyShared(CacheKey key, TextNormalizer.Result p, Cancellation own, boolean hop) {
    for (int round = 0; ; round++) {
      SingleFlight.Seat seat = flights.join(key);
      SingleFlight.Flight flight = seat.flight;
      Attempt<Scores> a;
      if (!seat.leader) {
        a = seat.await(own, hop ? timeout : null); // async checks: their own timer cancels `own`
      } else {
        Scores raced = cache.asMap().get(key); // a leader may have cached it just after our miss (no stats)
        if (raced != null) {
          flights.finish(key, flight, Attempt.of(raced));
          return Attempt.of(raced);
        }
        Callable<Scores> work = classifyWork(p, flight.cancellation);
        a = hop ? leadOnExecutor(key, seat, work, own) : leadHere(key, seat, work, own);
      }
      // A run that ended CANCELLED under us (its leader's thread was interrupted): classify once on our own.
      boolean ours = own.isCancelled() || Thread.currentThread().isInterrupted() || isClosed();
      if (seat.leader || a.ok() || a.kind != Failure.Kind.CANCELLED || ours || round > 0) {
        return a;
      }
    }
  }

  /** A sync check's run: on the executor, tracked, while this thread waits under the timeout. */
  private Attempt<Scores> leadOnExecutor(CacheKey key, SingleFlight.Seat seat, Callable<Scores> work,
      Cancellation own) {
    SingleFlight.Flight flight = seat.flight;
    Cancellation shared = flight.cancellation;
    InFlight.Ticket ticket = inFlight.enter(shared);
    if (ticket == null) {
      Attempt<Scores> closedNow = Attempt.failed(Failure.Kind.CANCELLED,
          new IllegalStateException("the Guard was closed while this check started"));
      flights.finish(key, flight, closedNow);
      return closedNow;
    }
    InFlight.TrackedTask<Scores> task = new InFlight.TrackedTask<>(() -> {
      shared.throwIfCancelled(); // abandoned or closed while queued
      return work.call();
    }, ticket) {
      @Override
      void completed() {
        Attempt<Scores> o = outcome(this, shared);
        if (o.ok()) {
          cache.put(key, o.value);
        }
        flights.finish(key, flight, o);
      }
    };
    flight.runsOn(task);
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      flights.finish(key, flight, Attempt.failed(Failure.Kind.CANCELLED, e)); // before completed() answers
      task.cancel(false); // never runs: leaves the in-flight set
    }
    return seat.await(own, timeout);
  }

  /** An async check's run: right here on its executor thread (already tracked); its timer cancels `own`. */
  private Attempt<Scores> leadHere(CacheKey key, SingleFlight.Seat seat, Callable<Scores> work, Cancellation own) {
    SingleFlight.Flight flight = seat.flight;
    Attempt<Scores> o = Attempt.failed(Failure.Kind.CANCELLED, new CancellationException("not run"));
    try (Cancellation.Registration r = own.onCancel(seat::leave)) {
      o = attemptHere(work, flight.cancellation);
      if (o.ok()) {
        cache.put(key, o.value);
      }
    } catch (VirtualMachineError e) {
      o = Attempt.failed(Failure.Kind.CLASSIFIER_ERROR, e);
      throw e;
    } finally {
      flights.finish(key, flight, o);
    }
    if (own.isCancelled()) {
      seat.leave();
      return Attempt.failed(Failure.Kind.CANCELLED, new CancellationException("classification was cancelled"));
    }
    return o;
  }

  /** The outcome of a finished classifier task, as {@link #attempt} maps it. */
  private static Attempt<Scores> outcome(java.util.concurrent.Future<Scores> done, Cancellation cancel) {
    try {
      return Attempt.of(done.get());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return Attempt.failed(cause instanceof CancellationException || cancel.isCancelled()
          ? Failure.Kind.CANCELLED : Failure.Kind.CLASSIFIER_ERROR, cause);
    } catch (CancellationException e) {
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // not reached: the task is done
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    }
  }

  CacheKey key(TextNormalizer.Result p) {
    Conversation c = p.conversation();
    Object content = c.length() <= KEY_INLINE_CHARS ? c.turns() : digest(c);
    return new CacheKey(info.id(), effectiveTaxonomy.hash(), content);
  }

  private static String digest(Conversation c) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      for (Turn t : c.turns()) {
        // role and length prefix each turn, so no two different turn lists produce the same byte stream
        md.update((byte) t.role().ordinal());
        md.update(java.nio.ByteBuffer.allocate(4).putInt(t.text().length()).array());
        md.update(t.text().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return "sha256:" + java.util.HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  Verdict emptyVerdict(TextNormalizer.Result p, long t0) {
    List<String> notes = new ArrayList<>(p.notes());
    notes.add(TextNormalizer.EMPTY_NOTE);
    return base(p.conversation().target(), t0).decision(Decision.ALLOW).notes(notes).build();
  }

  Verdict verdict(TextNormalizer.Result p, Scores s, boolean cached, long t0) {
    return verdict(p.conversation().target(), p.notes(), s, cached, t0);
  }

  Verdict verdict(Target target, List<String> inputNotes, Scores s, boolean cached, long t0) {
    List<Triggered> triggered = policy.triggered(s, taxonomy);
    List<String> notes = inputNotes;
    if (!s.notes().isEmpty()) { // the text views' observations (view, language, token-poor)
      notes = new ArrayList<>(inputNotes);
      notes.addAll(s.notes());
    }
    if (s.truncation().isPresent()) {
      var t = s.truncation().get();
      notes = new ArrayList<>(notes);
      notes.add("classifier-truncated: " + t.keptLength() + " of " + t.originalLength() + " " + t.unit()
          + " read (" + t.strategy() + ")");
    }
    Decision d = triggered.isEmpty() ? Decision.ALLOW : toDecision(triggered);
    Verdict.Builder v = base(target, t0).decision(d).triggered(triggered).scores(s).cached(cached).notes(notes);
    String cut = judgedTextCut(inputNotes);
    if (cut != null && d != Decision.BLOCK) {
      // The middle of the text was never read: an ALLOW would vouch for text nobody judged (harm hidden in the
      // middle of 150k chars scored 0.001). Fail closed by default, as for any check that could not be completed.
      FailureMode mode = policy.failureMode();
      v.failure(new Failure(Failure.Kind.INPUT_TOO_LONG, "only head and tail of the judged text were read ("
          + cut + "); raise maxInputChars to read all of it", mode));
      if (mode == FailureMode.CLOSED) {
        v.decision(Decision.BLOCK);
      }
    }
    return v.build();
  }

  /** The normalizer's note when it cut the judged turn (head+tail), else null. */
  static String judgedTextCut(List<String> notes) {
    for (String n : notes) {
      if (n.startsWith("input-truncated: ")) {
        return n.substring("input-truncated: ".length());
      }
    }
    return null;
  }

  private static Decision toDecision(List<Triggered> triggered) {
    // triggered is sorted most severe first
    switch (triggered.get(0).action()) {
      case BLOCK:
        return Decision.BLOCK;
      case FLAG:
        return Decision.FLAG;
      default:
        return Decision.ALLOW;
    }
  }

  Verdict failureVerdict(TextNormalizer.Result p, Attempt<?> a, long t0) {
    return failureVerdict(p.conversation().target(), p.notes(), a, t0);
  }

  Verdict failureVerdict(Target target, List<String> notes, Attempt<?> a, long t0) {
    FailureMode mode = policy.failureMode();
    Throwable e = a.error;
    String msg = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return base(target, t0).decision(mode == FailureMode.CLOSED ? Decision.BLOCK : Decision.ALLOW)
        .failure(new Failure(a.kind, msg, mode)).notes(notes).build();
  }

  private Verdict.Builder base(Target target, long t0) {
    long elapsed = Math.max(0, ticker.read() - t0);
    return Verdict.builder().target(target).classifierId(info.id()).taxonomyHash(effectiveTaxonomy.hash())
        .latency(Duration.ofNanos(elapsed));
  }

  /** The outcome of running classifier work: a value, or a failure kind and error. Immutable. */
  static final class Attempt<T> {
    final T value;
    final Failure.Kind kind;
    final Throwable error;

    private Attempt(T value, Failure.Kind kind, Throwable error) {
      this.value = value;
      this.kind = kind;
      this.error = error;
    }

    static <T> Attempt<T> of(T value) {
      return new Attempt<>(value, null, null);
    }

    static <T> Attempt<T> failed(Failure.Kind kind, Throwable error) {
      return new Attempt<>(null, kind, error);
    }

    boolean ok() {
      return kind == null;
    }
  }

  /**
   * Runs classifier work on the executor, turning every failure into an Attempt, and waits for it (at most
   * {@code limit} when not null). The caller's thread only waits, so an interrupt, like the limit passing,
   * cancels the work: the Cancellation terminates a native run and the work's thread is interrupted. The work
   * is tracked in {@link #inFlight} until it returns, so close() never frees the classifier under it.
   */
  <T> Attempt<T> attempt(Callable<T> work, Cancellation cancel, Duration limit) {
    InFlight.Ticket ticket = inFlight.enter(cancel);
    if (ticket == null) {
      return Attempt.failed(Failure.Kind.CANCELLED,
          new IllegalStateException("the Guard was closed while this check started"));
    }
    FutureTask<T> task = new InFlight.TrackedTask<>(() -> {
      cancel.throwIfCancelled(); // cancelled while queued (close, timeout, interrupt)
      return work.call();
    }, ticket);
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      task.cancel(false); // never runs: leaves the in-flight set
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    }
    try {
      T value = limit == null ? task.get() : task.get(limit.toNanos(), TimeUnit.NANOSECONDS);
      return Attempt.of(value);
    } catch (TimeoutException e) {
      cancel.cancel();
      task.cancel(true);
      return Attempt.failed(Failure.Kind.TIMEOUT,
          new TimeoutException("classification did not finish within " + limit));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof VirtualMachineError) {
        throw (VirtualMachineError) cause;
      }
      return Attempt.failed(cause instanceof CancellationException || cancel.isCancelled()
          ? Failure.Kind.CANCELLED : Failure.Kind.CLASSIFIER_ERROR, cause);
    } catch (CancellationException e) {
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    } catch (InterruptedException e) {
      cancel.cancel();
      task.cancel(true);
      Thread.currentThread().interrupt();
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    }
  }

  /** Runs classifier work on this thread (an async check's executor thread, already tracked). */
  static <T> Attempt<T> attemptHere(Callable<T> work, Cancellation cancel) {
    try {
      return Attempt.of(work.call());
    } catch (CancellationException e) {
      return Attempt.failed(Failure.Kind.CANCELLED, e);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      if (Thread.currentThread().isInterrupted() || cancel.isCancelled()) {
        return Attempt.failed(Failure.Kind.CANCELLED, e);
      }
      return Attempt.failed(Failure.Kind.CLASSIFIER_ERROR, e);
    }
  }
}
