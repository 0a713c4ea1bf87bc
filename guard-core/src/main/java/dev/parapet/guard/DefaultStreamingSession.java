package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.ConcurrentModificationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link StreamingSession} implementation. Not thread-safe (one thread at a time, as documented on the
 * interface); the only cross-thread hand-off is a check run on the guard's executor under a timeout, which is
 * ordered by FutureTask.get and, after a timeout, by the {@link AtomicInteger} ownership flag below.
 */
final class DefaultStreamingSession implements StreamingSession {
  private static final System.Logger LOG = System.getLogger(StreamingSession.class.getName());
  private static final int NEW = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;
  private static final int ABANDONED = 3;

  /**
   * What a session needs of the guard that opened it, and nothing more: it never holds the guard itself.
   *
   * @param classifier the guard's classifier (text views and input notes included)
   * @param state tells whether the guard was closed (the session then refuses further calls)
   */
  record Context(TextNormalizer normalizer, Classifier classifier, Taxonomy effectiveTaxonomy, Listeners listeners,
      TimedRunner runner, VerdictFactory verdicts, GuardState state) {}

  private final Context ctx;
  private final Conversation prompt;
  private final Conversation normalizedPrompt;
  private final List<Note> promptNotes;
  private final StreamOptions options;
  private final List<String> tokens = new ArrayList<>();
  private final StringBuilder normalized = new StringBuilder();
  private boolean normalizedHasText; // == !normalized.toString().isBlank(), kept without copying the text
  private long responseChars;
  private String pendingHigh = "";
  private int checkedUpTo;
  private int releasedUpTo;
  private int sinceCheck;
  private int consecutiveUnsafe;
  private Verdict lastVerdict;
  private StreamDecision terminal;
  private boolean closed;
  private IncrementalClassifier.Session inc;
  private int incCommittedChars;
  private final Cancellation incCancel = Cancellation.create();
  /** The thread inside onToken/finish, to detect (never silently survive) concurrent use. */
  private final AtomicReference<Thread> busy = new AtomicReference<>();

  DefaultStreamingSession(Context ctx, Conversation prompt, StreamOptions options) {
    this.ctx = ctx;
    this.prompt = prompt;
    this.options = options;
    TextNormalizer.Result p = ctx.normalizer().normalize(prompt);
    this.normalizedPrompt = p.conversation();
    this.promptNotes = p.notes();
    Optional<IncrementalClassifier> ic = ctx.classifier().incremental();
    if (ic.isPresent()) {
      try {
        inc = requireNonNull(ic.get().open(
            new ClassificationRequest(normalizedPrompt, ctx.effectiveTaxonomy(), incCancel)), "incremental session");
      } catch (RuntimeException e) {
        // Not fatal: full re-checks judge the same text, only slower.
        LOG.log(System.Logger.Level.WARNING, "opening an incremental session of " + ctx.verdicts().classifierId()
            + " failed; falling back to full re-checks", e);
        inc = null;
      }
    }
    ctx.listeners().streamOpened(prompt);
  }

  @Override
  public StreamDecision onToken(String token) {
    requireNonNull(token, "token");
    enter("onToken");
    try {
      return onTokenExclusive(token);
    } finally {
      busy.set(null);
    }
  }

  /**
   * Claims the session for this call. A session is used from one thread at a time; a call that overlaps another
   * would interleave the token list and the checked/released positions (a probe lost most tokens that way), so
   * it is refused before it changes anything. The claim (a CAS) also orders calls that different threads make
   * one after another.
   */
  private void enter(String method) {
    Thread me = Thread.currentThread();
    if (!busy.compareAndSet(null, me)) {
      Thread other = busy.get();
      throw new ConcurrentModificationException(method + "() on thread " + me.getName() + " while thread "
          + (other == null ? "?" : other.getName()) + " is inside onToken()/finish() of the same StreamingSession;"
          + " a session is not thread-safe: feed it from one thread (or synchronize the calls). The token was not"
          + " added");
    }
  }

  private StreamDecision onTokenExclusive(String token) {
    if (terminal instanceof StreamDecision.Stop) {
      return terminal;
    }
    ensureUsable("onToken");
    tokens.add(token);
    responseChars += token.length();
    appendNormalized(token, false);
    sinceCheck++;
    if (responseChars > options.maxResponseChars()) {
      return stopTooLong();
    }
    boolean due = sinceCheck >= options.checkEveryTokens()
        || (options.checkAtSentenceEnd() && endsSentence(token));
    return due ? check(false) : new StreamDecision.Continue("", lastVerdict);
  }

  @Override
  public StreamDecision finish() {
    enter("finish");
    try {
      return finishExclusive();
    } finally {
      busy.set(null);
    }
  }

  private StreamDecision finishExclusive() {
    if (terminal != null) {
      return terminal;
    }
    ensureUsable("finish");
    boolean flushed = !pendingHigh.isEmpty();
    appendNormalized("", true);
    if (!flushed && sinceCheck == 0 && consecutiveUnsafe == 0 && lastVerdict != null
        && checkedUpTo == tokens.size() && !partial(lastVerdict.scores())) {
      // The last check covered the full response and passed: that is the full-text check.
      return complete(join(releasedUpTo, tokens.size()), lastVerdict);
    }
    return check(true);
  }

  @Override
  public Optional<Verdict> lastVerdict() {
    return Optional.ofNullable(lastVerdict);
  }

  @Override
  public int tokensSeen() {
    return tokens.size();
  }

  @Override
  public boolean stopped() {
    return terminal instanceof StreamDecision.Stop;
  }

  @Override
  public void close() {
    closed = true;
    releaseIncremental();
  }

  // ---------------------------------------------------------------- internals

  private void ensureUsable(String method) {
    if (terminal != null) {
      throw new IllegalStateException(method + "() after finish(): this response is complete; open a new session");
    }
    if (closed) {
      throw new IllegalStateException(method + "() on a closed StreamingSession");
    }
    if (ctx.state().isClosed()) {
      close();
      throw new IllegalStateException(method + "(): the Guard that opened this session was closed");
    }
  }

  /** Normalizes per token; a trailing high surrogate waits for the low surrogate in the next token. */
  private void appendNormalized(String token, boolean flush) {
    String s = pendingHigh + token;
    pendingHigh = "";
    if (!flush && !s.isEmpty() && Character.isHighSurrogate(s.charAt(s.length() - 1))) {
      pendingHigh = s.substring(s.length() - 1);
      s = s.substring(0, s.length() - 1);
    }
    String clean = TextNormalizer.clean(s);
    normalized.append(clean);
    if (!normalizedHasText) {
      normalizedHasText = !clean.isBlank();
    }
  }

  static boolean endsSentence(String token) {
    if (token.isEmpty()) {
      return false;
    }
    if (token.charAt(token.length() - 1) == '\n') {
      return true;
    }
    String t = token.stripTrailing();
    if (t.isEmpty()) {
      return false;
    }
    char c = t.charAt(t.length() - 1);
    return c == '.' || c == '!' || c == '?' || c == '\u3002' || c == '\uFF01' || c == '\uFF1F';
  }

  private StreamDecision check(boolean isFinal) {
    sinceCheck = 0;
    int covered = tokens.size();
    Verdict v = judge(isFinal);
    lastVerdict = v;
    if (v.isBlocked()) {
      consecutiveUnsafe++;
      // A failure under fail-closed stops at once; finish() is never debounced.
      if (isFinal || v.failure().isPresent() || consecutiveUnsafe >= options.debounce()) {
        return stop(v);
      }
      return new StreamDecision.Continue("", v);
    }
    consecutiveUnsafe = 0;
    checkedUpTo = covered;
    int upTo = isFinal ? covered : Math.max(releasedUpTo, covered - options.holdBackTokens());
    String released = join(releasedUpTo, upTo);
    releasedUpTo = upTo;
    return isFinal ? complete(released, v) : new StreamDecision.Continue(released, v);
  }

  /** Whether scores judged only the part of the response added since the previous check. */
  private static boolean partial(Optional<Scores> s) {
    return s.flatMap(Scores::truncation)
        .map(t -> IncrementalClassifier.PARTIAL_SCORE.equals(t.strategy())).orElse(false);
  }

  private Verdict judge(boolean isFinal) {
    long t0 = ctx.verdicts().start();
    if (!normalizedHasText) {
      return ctx.verdicts().empty(Target.RESPONSE, promptNotes, t0);
    }
    List<Note> notes = promptNotes;
    Attempt<Scores> a = null;
    if (inc != null && normalized.length() > ctx.normalizer().maxInputChars()) {
      // Past the cost cap the whole-text path cuts the response (noted) and the policy's fail mode applies,
      // as for a check(): scoring every window of an unbounded response would make each check unbounded too.
      releaseIncremental();
    }
    if (inc != null) {
      a = scoreIncrementally(); // reads only the text added since the last check (every window it touched)
      if (isFinal && a.ok() && partial(Optional.of(a.value))) {
        a = null; // finish() promises a check of the full response: windows-max over all of it
      }
    }
    if (a == null) {
      String text = normalized.toString(); // a full re-check needs the whole response
      TextNormalizer.Result p = ctx.normalizer().normalize(normalizedPrompt.withResponse(text));
      notes = p.notes();
      Cancellation cancel = Cancellation.create();
      ClassificationRequest req = new ClassificationRequest(p.conversation(), ctx.effectiveTaxonomy(), cancel);
      a = ctx.runner().runWaiting(
          () -> requireNonNull(ctx.classifier().classify(req), "classifier returned null scores"), cancel);
    }
    if (a.ok()) {
      return ctx.verdicts().judged(Target.RESPONSE, notes, a.value, false, t0);
    }
    ctx.listeners().classifierFailed(prompt, a.error);
    return ctx.verdicts().failed(Target.RESPONSE, notes, a, t0);
  }

  /**
   * Appends the new text to the incremental state and scores it. On any failure the incremental state is
   * dropped (closed by whichever thread is last to touch it) and later checks re-check the full text.
   */
  private Attempt<Scores> scoreIncrementally() {
    IncrementalClassifier.Session s = inc;
    String delta = normalized.substring(incCommittedChars);
    int newCommitted = normalized.length();
    AtomicInteger state = new AtomicInteger(NEW);
    Callable<Scores> work = () -> {
      if (!state.compareAndSet(NEW, RUNNING)) {
        throw new CancellationException("check abandoned before it started");
      }
      try {
        if (!delta.isEmpty()) {
          s.append(delta);
        }
        return requireNonNull(s.score(), "incremental session returned null scores");
      } finally {
        if (!state.compareAndSet(RUNNING, DONE)) {
          closeQuietly(s); // the session thread gave up on us (timeout): we are the last user
        }
      }
    };
    Attempt<Scores> a = ctx.runner().runWaiting(work, incCancel);
    if (a.ok()) {
      incCommittedChars = newCommitted;
      return a;
    }
    inc = null;
    if (state.compareAndSet(NEW, ABANDONED) || !state.compareAndSet(RUNNING, ABANDONED)) {
      closeQuietly(s); // never started, or already finished: nobody else touches it
    }
    return a;
  }

  private StreamDecision stopTooLong() {
    Verdict v = ctx.verdicts().responseTooLong(responseChars, options.maxResponseChars());
    lastVerdict = v;
    return stop(v);
  }

  private StreamDecision stop(Verdict v) {
    StreamDecision.Stop stop = new StreamDecision.Stop(v, tokens.size(), join(releasedUpTo, tokens.size()));
    terminal = stop;
    releaseIncremental();
    ctx.listeners().streamStopped(prompt, v, tokens.size());
    return stop;
  }

  private StreamDecision complete(String released, Verdict v) {
    releasedUpTo = tokens.size();
    StreamDecision.Complete c = new StreamDecision.Complete(released, v);
    terminal = c;
    releaseIncremental();
    ctx.listeners().streamCompleted(prompt, v, tokens.size());
    return c;
  }

  private String join(int from, int to) {
    if (from >= to) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      sb.append(tokens.get(i));
    }
    return sb.toString();
  }

  private void releaseIncremental() {
    IncrementalClassifier.Session s = inc;
    inc = null;
    if (s != null) {
      closeQuietly(s);
    }
  }

  private static void closeQuietly(IncrementalClassifier.Session s) {
    try {
      s.close();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "closing an incremental classifier session threw; ignored", e);
    }
  }
}
