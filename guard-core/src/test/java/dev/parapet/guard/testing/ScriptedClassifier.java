package dev.parapet.guard.testing;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake {@link Classifier} whose scores are scripted by keyword, for tests of code that uses a Guard. It
 * judges the text of the conversation's last turn only (case-insensitive substring match of each rule's
 * keyword). Thread-safe: its script is immutable after {@link Builder#build()} and its counters are atomic.
 *
 * <pre>{@code
 * ScriptedClassifier c = ScriptedClassifier.builder()
 *     .rule("pipe bomb", "S9", 0.97)       // unsafe 0.97, category S9 0.97
 *     .throwOn("explode-classifier")       // ClassificationException
 *     .sleepOn("slow", Duration.ofSeconds(30))  // until cancelled or interrupted
 *     .build();
 * }</pre>
 *
 * <p>A rule whose category is not in the request's taxonomy (for example turned off by the policy) does not
 * apply, as with Llama Guard's excluded categories. Without a matching rule the text scores
 * {@code safeScore} (default 0.01) overall and 0 per category.
 */
public final class ScriptedClassifier implements Classifier {
  private final ClassifierInfo info;
  private final List<Rule> rules;
  private final List<Exact> exact;
  private final List<String> throwOn;
  private final List<Sleep> sleeps;
  /** Run on every step of a scripted sleep (a test advances its manual clock there). */
  private final Runnable sleepTick;
  private final boolean categoryScores;
  private final double safeScore;
  private final boolean incremental;
  private final int maxInputTokens;

  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger classifyCalls = new AtomicInteger();
  private final AtomicInteger batchCalls = new AtomicInteger();
  private final AtomicInteger requestsScored = new AtomicInteger();
  private final AtomicInteger cancellationsObserved = new AtomicInteger();
  private final AtomicInteger sessionsOpened = new AtomicInteger();
  private final AtomicInteger sessionsClosed = new AtomicInteger();
  private final AtomicInteger incrementalScores = new AtomicInteger();
  private final AtomicInteger closeCalls = new AtomicInteger();
  private final ConcurrentLinkedQueue<ClassificationRequest> seen = new ConcurrentLinkedQueue<>();

  private record Rule(String keyword, String code, double p) {}

  private record Exact(String text, Scores scores) {}

  private record Sleep(String keyword, Duration duration) {}

  private ScriptedClassifier(Builder b) {
    Set<Capability> caps = EnumSet.of(Capability.PROMPT, Capability.RESPONSE, Capability.CUSTOM_TAXONOMY);
    if (b.categoryScores) {
      caps.add(Capability.CATEGORY_SCORES);
    }
    if (b.incremental) {
      caps.add(Capability.INCREMENTAL);
    }
    this.info = new ClassifierInfo(b.id, b.taxonomy, caps, b.maxInputTokens, "none");
    this.rules = List.copyOf(b.rules);
    this.exact = List.copyOf(b.exact);
    this.throwOn = List.copyOf(b.throwOn);
    this.sleeps = List.copyOf(b.sleeps);
    this.sleepTick = b.sleepTick;
    this.categoryScores = b.categoryScores;
    this.safeScore = b.safeScore;
    this.incremental = b.incremental;
    this.maxInputTokens = b.maxInputTokens;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A classifier with no rules: everything scores safe. */
  public static ScriptedClassifier safe() {
    return builder().build();
  }

  @Override
  public ClassifierInfo info() {
    return info;
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    requireNonNull(request, "request");
    ensureOpen();
    classifyCalls.incrementAndGet();
    return score(request, request.conversation());
  }

  @Override
  public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    requireNonNull(requests, "requests");
    ensureOpen();
    batchCalls.incrementAndGet();
    List<Scores> out = new ArrayList<>(requests.size());
    for (ClassificationRequest r : requests) {
      out.add(score(requireNonNull(r, "request"), r.conversation()));
    }
    return out;
  }

  @Override
  public Optional<IncrementalClassifier> incremental() {
    if (!incremental) {
      return Optional.empty();
    }
    return Optional.of(request -> {
      ensureOpen();
      requireNonNull(request, "request");
      sessionsOpened.incrementAndGet();
      return new Session(request);
    });
  }

  @Override
  public void close() {
    closeCalls.incrementAndGet();
    closed.set(true);
  }

  // ---------------------------------------------------------------- counters

  /** Calls of {@link #classify}. */
  public int classifyCalls() {
    return classifyCalls.get();
  }

  /** Calls of {@link #classifyBatch}. */
  public int batchCalls() {
    return batchCalls.get();
  }

  /** Requests scored by classify, classifyBatch or an incremental session's score(). */
  public int requestsScored() {
    return requestsScored.get();
  }

  /** How often a scripted sleep ended because its Cancellation was set or its thread interrupted. */
  public int cancellationsObserved() {
    return cancellationsObserved.get();
  }

  public int sessionsOpened() {
    return sessionsOpened.get();
  }

  /** Incremental sessions closed (each counted once, however often close() is called). */
  public int sessionsClosed() {
    return sessionsClosed.get();
  }

  /** Calls of an incremental session's score(). */
  public int incrementalScores() {
    return incrementalScores.get();
  }

  public boolean isClosed() {
    return closed.get();
  }

  public int closeCalls() {
    return closeCalls.get();
  }

  /** Every request scored so far (by classify and classifyBatch), in order of arrival. */
  public List<ClassificationRequest> requests() {
    return List.copyOf(seen);
  }

  // ---------------------------------------------------------------- scoring

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("ScriptedClassifier " + info.id() + " is closed");
    }
  }

  private Scores score(ClassificationRequest request, Conversation conversation) {
    seen.add(request);
    requestsScored.incrementAndGet();
    String text = conversation.last().text();
    Truncation truncation = null;
    if (text.length() > maxInputTokens) {
      int half = maxInputTokens / 2;
      truncation = new Truncation(text.length(), maxInputTokens, Truncation.Unit.TOKENS, Truncation.Strategy.HEAD_TAIL);
      text = text.substring(0, half) + text.substring(text.length() - (maxInputTokens - half));
    }
    String lower = text.toLowerCase(Locale.ROOT);
    for (String k : throwOn) {
      if (lower.contains(k)) {
        throw new ClassificationException("scripted failure for keyword '" + k + "'");
      }
    }
    for (Sleep s : sleeps) {
      if (lower.contains(s.keyword())) {
        sleep(s.duration(), request.cancellation());
      }
    }
    Taxonomy tax = request.taxonomy();
    for (Exact e : exact) {
      if (e.text().equals(text)) {
        // Scripted scores as given, minus categories the request's taxonomy lacks.
        Scores.Builder b = Scores.builder().unsafe(e.scores().unsafe());
        e.scores().controversial().ifPresent(b::controversial);
        e.scores().categories().forEach((code, p) -> {
          if (tax.contains(code)) {
            b.category(code, p);
          }
        });
        if (truncation != null) {
          b.truncation(truncation);
        }
        return b.build();
      }
    }
    double unsafe = safeScore;
    Map<String, Double> cats = new LinkedHashMap<>();
    for (String code : tax.codes()) {
      cats.put(code, 0.0);
    }
    for (Rule r : rules) {
      if (lower.contains(r.keyword()) && tax.contains(r.code())) {
        unsafe = Math.max(unsafe, r.p());
        cats.merge(r.code(), r.p(), Math::max);
      }
    }
    Scores.Builder b = Scores.builder().unsafe(unsafe);
    if (categoryScores) {
      b.categories(cats);
    }
    if (truncation != null) {
      b.truncation(truncation);
    }
    return b.build();
  }

  private void sleep(Duration d, Cancellation cancellation) {
    long end = System.nanoTime() + d.toNanos();
    while (true) {
      if (cancellation.isCancelled()) {
        cancellationsObserved.incrementAndGet();
        throw new CancellationException("scripted sleep cancelled");
      }
      sleepTick.run();
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      try {
        Thread.sleep(Math.min(5, Math.max(1, left / 1_000_000)));
      } catch (InterruptedException e) {
        cancellationsObserved.incrementAndGet();
        Thread.currentThread().interrupt();
        throw new CancellationException("scripted sleep interrupted");
      }
    }
  }

  /** Incremental state: the response so far. Not thread-safe, like any session. */
  private final class Session implements IncrementalClassifier.Session {
    private final ClassificationRequest request;
    private final StringBuilder response = new StringBuilder();
    private boolean closedSession;

    Session(ClassificationRequest request) {
      this.request = request;
    }

    @Override
    public void append(String responseDelta) {
      requireNonNull(responseDelta, "responseDelta");
      check();
      response.append(responseDelta);
    }

    @Override
    public Scores score() {
      check();
      incrementalScores.incrementAndGet();
      Conversation c = request.conversation().withResponse(response.toString());
      return ScriptedClassifier.this.score(
          new ClassificationRequest(c, request.taxonomy(), request.cancellation()), c);
    }

    @Override
    public long committedTokens() {
      return response.length();
    }

    @Override
    public void close() {
      if (!closedSession) {
        closedSession = true;
        sessionsClosed.incrementAndGet();
      }
    }

    private void check() {
      if (closedSession) {
        throw new IllegalStateException("incremental session is closed");
      }
      ensureOpen();
    }
  }

  /** Builds a {@link ScriptedClassifier}. Not thread-safe. */
  public static final class Builder {
    private String id = "scripted@1";
    private Taxonomy taxonomy = Taxonomies.llamaGuard3();
    private final List<Rule> rules = new ArrayList<>();
    private final List<Exact> exact = new ArrayList<>();
    private final List<String> throwOn = new ArrayList<>();
    private final List<Sleep> sleeps = new ArrayList<>();
    private Runnable sleepTick = () -> {};
    private boolean categoryScores = true;
    private double safeScore = 0.01;
    private boolean incremental;
    private int maxInputTokens = Integer.MAX_VALUE;

    private Builder() {}

    public Builder id(String id) {
      this.id = requireNonNull(id, "id");
      return this;
    }

    /** The native taxonomy reported by info(); default Llama Guard 3 (S1-S14). */
    public Builder taxonomy(Taxonomy taxonomy) {
      this.taxonomy = requireNonNull(taxonomy, "taxonomy");
      return this;
    }

    /** Text containing {@code keyword} scores at least {@code p} overall and in category {@code code}. */
    public Builder rule(String keyword, String code, double p) {
      requireNonNull(keyword, "keyword");
      requireNonNull(code, "code");
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("p must be in [0, 1], was " + p);
      }
      rules.add(new Rule(keyword.toLowerCase(Locale.ROOT), code, p));
      return this;
    }

    /**
     * The judged text equal to {@code text} (after the Guard's normalization) gets exactly these scores (for
     * three-level or hand-made score shapes); categories outside the request taxonomy are dropped. Exact rules
     * are tried before keyword rules.
     */
    public Builder exact(String text, Scores scores) {
      exact.add(new Exact(requireNonNull(text, "text"), requireNonNull(scores, "scores")));
      return this;
    }

    /** Text containing {@code keyword} makes classify throw {@link ClassificationException}. */
    public Builder throwOn(String keyword) {
      throwOn.add(requireNonNull(keyword, "keyword").toLowerCase(Locale.ROOT));
      return this;
    }

    /**
     * Text containing {@code keyword} makes classify sleep this long, ending early with a
     * {@link CancellationException} when the request is cancelled or the thread interrupted.
     */
    public Builder sleepOn(String keyword, Duration duration) {
      sleeps.add(new Sleep(requireNonNull(keyword, "keyword").toLowerCase(Locale.ROOT),
          requireNonNull(duration, "duration")));
      return this;
    }

    /**
     * Runs {@code tick} on every step (about every 1-5 ms) of a {@link #sleepOn} sleep, before the sleep checks
     * whether it is over: a test advances its manual clock there, so that a slow classification uses up the
     * guard's timeout on that clock rather than in wall time.
     */
    public Builder onSleepTick(Runnable tick) {
      this.sleepTick = requireNonNull(tick, "tick");
      return this;
    }

    /** Whether scores carry per-category values (default true); false models a binary classifier. */
    public Builder categoryScores(boolean on) {
      this.categoryScores = on;
      return this;
    }

    /** P(unsafe) of text no rule matches (default 0.01). */
    public Builder safeScore(double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("p must be in [0, 1], was " + p);
      }
      this.safeScore = p;
      return this;
    }

    /** Offer an {@link IncrementalClassifier} whose sessions count opens and closes. */
    public Builder incremental(boolean on) {
      this.incremental = on;
      return this;
    }

    /** Judged text longer than this many chars is cut (head+tail) and reports a {@link Truncation}. */
    public Builder maxInputTokens(int max) {
      if (max < 2) {
        throw new IllegalArgumentException("maxInputTokens must be >= 2, was " + max);
      }
      this.maxInputTokens = max;
      return this;
    }

    public ScriptedClassifier build() {
      return new ScriptedClassifier(this);
    }
  }
}
