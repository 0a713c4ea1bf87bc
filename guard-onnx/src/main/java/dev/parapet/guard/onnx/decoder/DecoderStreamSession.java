package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import java.util.Arrays;

/**
 * The decoder's streaming session (see {@link DecoderGuardClassifier#open}): keeps the KV cache of prefix +
 * conversation + committed response tokens; each {@link #score()} runs only the uncommitted tokens and the fixed
 * suffix on top of it (ShieldGemma: one fork per policy, batched). Used from one thread; owns its committed cache.
 */
final class DecoderStreamSession implements IncrementalClassifier.Session {
  private static final int HOLD_BACK_TOKENS = 2;
  /** A streaming session re-tokenizes at most about twice this many characters of the response per call. */
  private static final int ANCHOR_WINDOW_CHARS = 128;

  private final DecoderRunner runner;
  private final PromptPreparer preparer;
  private final PromptFormat format;
  private final PromptEncoder encoder;
  private final Runnable checkOwnerOpen;
  private final ClassificationRequest request;
  private final Plan plan;
  private final int budget;
  private final int contextTokens;
  private KvCache committed;
  // Buffers reused for the whole session (issue 16: a check used to allocate several arrays as long as the
  // response): the ids of the response so far, valid for idsForChars characters of it, and the committed ones.
  private final PromptEncoder.LongList ids = new PromptEncoder.LongList();
  private int idsForChars = -1;
  private final PromptEncoder.LongList committedIds = new PromptEncoder.LongList();
  private final StringBuilder response = new StringBuilder();
  private boolean closed;
  // Bounded re-tokenization: the judged text before anchorChars (the same characters as in anchorSource)
  // tokenizes to anchorIds whatever follows it, so each append/score tokenizes only judged[anchorChars:] (+
  // trailer). The anchor moves to a word start well behind the end once the tail is long, and only after
  // checking, on the current text, that tokenizing the two sides separately gives the same ids as tokenizing
  // the tail whole. anchorSource is a judged text the anchor was checked against (held, not copied).
  private int anchorChars;
  private String anchorSource = "";
  private final PromptEncoder.LongList anchorIds = new PromptEncoder.LongList();
  private int nextAnchorTry;
  private int lastEncodedTokens;

  /**
   * @param mode TEACHER_FORCED or NONE
   * @param checkOwnerOpen throws when the classifier that owns the model was closed
   */
  DecoderStreamSession(DecoderRunner runner, PromptPreparer preparer, CategoryMode mode, Runnable checkOwnerOpen,
      ClassificationRequest request) {
    this.runner = runner;
    this.preparer = preparer;
    this.format = preparer.format();
    this.encoder = preparer.encoder();
    this.checkOwnerOpen = checkOwnerOpen;
    this.request = request;
    Conversation withResponse = request.conversation().withResponse("");
    ClassificationRequest r = new ClassificationRequest(withResponse, request.taxonomy(), request.cancellation());
    PromptPreparer.Prepared p = preparer.prepare(r, mode);
    this.plan = p.plan();
    int fixed = plan.prefix().length + p.head().length + plan.maxSuffixLength() + plan.chain().length;
    this.budget = preparer.maxContextTokens() - fixed;
    this.contextTokens = p.contextTokens();
    try (KvCache prefix = runner.prefixKv(plan.prefix(), request.cancellation())) {
      this.committed = runner.runtime().extend(prefix, new long[][] {p.head()}, request.cancellation(),
          "stream head");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("streaming session is closed");
    }
    checkOwnerOpen.run();
  }

  @Override
  public void append(String responseDelta) {
    requireNonNull(responseDelta, "responseDelta");
    checkOpen();
    if (responseDelta.isEmpty()) {
      return;
    }
    response.append(responseDelta);
    refreshIds();
    int length = ids.size();
    // commit what later text can no longer change; keep within the head half of a truncated response
    int stable = Math.max(0, length - HOLD_BACK_TOKENS - plan.trailerTokens());
    int limit = length > budget ? Math.min(stable, budget / 2) : stable;
    // roll the committed cache back where a boundary token changed, and to the head half once the response no
    // longer fits (what was committed while it did may reach past the half that a head+tail cut keeps)
    int keep = usable(commonPrefix(committedIds, ids), length);
    if (keep < committedIds.size()) {
      KvCache cut = committed.truncate(committed.length() - (committedIds.size() - keep));
      committed.close();
      committed = cut;
      committedIds.truncate(keep);
    }
    int from = committedIds.size();
    if (limit > from) {
      long[] add = Arrays.copyOfRange(ids.array(), from, limit);
      KvCache next = runner.runtime().extend(committed, new long[][] {add}, request.cancellation(),
          "stream append");
      committed.close();
      committed = next;
      committedIds.addAll(ids.array(), from, limit);
    }
  }

  @Override
  public Scores score() {
    checkOpen();
    refreshIds();
    int length = ids.size();
    int common = usable(commonPrefix(committedIds, ids), length);
    KvCache base = committed;
    boolean temporary = false;
    if (common < committedIds.size()) {
      base = committed.truncate(committed.length() - (committedIds.size() - common));
      temporary = true;
    }
    try {
      long[] all = ids.array();
      long[] tail;
      Truncation truncation = null;
      if (length > budget) {
        // the head+tail cut of the response (PromptPreparer.headTail) from the committed part on
        int head = budget / 2;
        int end = budget - head;
        tail = new long[budget - common];
        System.arraycopy(all, common, tail, 0, head - common);
        System.arraycopy(all, length - end, tail, head - common, end);
        truncation = new Truncation(contextTokens + length, contextTokens + budget, Truncation.Unit.TOKENS, Truncation.Strategy.HEAD_TAIL);
      } else {
        tail = Arrays.copyOfRange(all, common, length);
      }
      if (format.onePromptPerCategory()) {
        double[] yes = new double[plan.suffixes().size()];
        runner.forkSuffixes(base, tail, plan, request.cancellation(), yes);
        return DecisionScorer.shieldGemmaScores(plan, yes, truncation);
      }
      long[] body = PromptEncoder.concat(tail, plan.suffixes().get(0));
      float[][] logits = runner.probeRow(base, body, plan, request.cancellation(), "stream score");
      return DecisionScorer.toScores(plan, logits, truncation);
    } finally {
      if (temporary) {
        base.close();
      }
    }
  }

  /**
   * Brings {@link #ids} to the ids of judged response + trailer, equal to {@code encodeJudged(response)},
   * tokenizing only the text after the anchor; nothing when the response has not changed since (a score right
   * after an append reuses the append's ids).
   */
  private void refreshIds() {
    if (idsForChars == response.length()) {
      return;
    }
    String judged = format.judgedContent(response.toString());
    if (anchorChars > 0 && !judged.regionMatches(0, anchorSource, 0, anchorChars)) {
      anchorChars = 0; // the format rewrote earlier text: start over
      anchorSource = "";
      anchorIds.clear();
      nextAnchorTry = 0;
    } else {
      anchorSource = judged; // same anchored characters: hold the newest text, let the older one go
    }
    long[] tail = encodeTail(judged.substring(anchorChars));
    lastEncodedTokens = tail.length;
    ids.clear();
    ids.addAll(anchorIds);
    ids.addAll(tail);
    idsForChars = response.length();
    if (judged.length() - anchorChars > 2 * ANCHOR_WINDOW_CHARS && judged.length() >= nextAnchorTry) {
      moveAnchor(judged, tail);
    }
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
      anchorSource = judged;
    }
  }

  /** How much of the committed run a score may build on: the common prefix, within the head half when cut. */
  private int usable(int common, int responseTokens) {
    return responseTokens > budget ? Math.min(common, budget / 2) : common;
  }

  static int commonPrefix(PromptEncoder.LongList a, PromptEncoder.LongList b) {
    int n = Math.min(a.size(), b.size());
    long[] x = a.array();
    long[] y = b.array();
    int i = 0;
    while (i < n && x[i] == y[i]) {
      i++;
    }
    return i;
  }

  @Override
  public long committedTokens() {
    return committedIds.size();
  }

  // ---------------------------------------------------------------------------------------------------------
  // test seams

  /** Tokens the last append or score tokenized (the bounded tail, plus any anchor check). */
  int lastEncodedTokens() {
    return lastEncodedTokens;
  }

  /** The ids the session works on (anchor ids + tail). */
  long[] currentIds() {
    refreshIds();
    return Arrays.copyOf(ids.array(), ids.size());
  }

  /** The committed cache's length in tokens (prefix + conversation + committed response). */
  int committedCacheLength() {
    return committed.length();
  }

  /** A bitwise copy of the committed KV tensors. */
  byte[][] committedSnapshot() {
    return committed.snapshot();
  }

  /** Response tokens (judged content + trailer) the next score would read. */
  int responseTokens() {
    return preparer.encodeJudged(response.toString()).length;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      committed.close();
    }
  }
}
