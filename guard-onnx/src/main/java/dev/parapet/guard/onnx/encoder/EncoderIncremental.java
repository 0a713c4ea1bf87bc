package dev.parapet.guard.onnx.encoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Target;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import java.util.ArrayList;
import java.util.List;

/**
 * Streaming for the encoder: a windowed re-check of the text each check added. Each {@link Session#score()}
 * scores every window that text added since the previous score touched: pairs
 * {@code [CLS] prompt [SEP] W response tokens [SEP]}, with the prompt cut to {@code promptTokensInResponse}
 * (head+tail) and {@code W = maxTokens - 3 - promptTokens}. When the new text fits one window that is the last
 * window (as much earlier context as fits); when it is longer, overlapping windows (half-window stride, as in
 * {@link Layout#windows}) over the new text plus half a window before it. So no released token is left unread,
 * however large the chunks between checks, and a check costs in proportion to the new text, not the whole
 * response (plus the same windows alone, {@code [CLS] tokens [SEP]}, when the taxonomy has custom categories).
 * The response is tokenized delta by delta ({@link IncrementalTokens}); the trailing partial word, whose ids can
 * still change, is re-read by the next score.
 *
 * <p>While the response fits one window, {@code score()} equals the classifier's response check of the same
 * text. Past that, it records {@code Truncation(strategy = }{@link IncrementalClassifier#PARTIAL_SCORE}{@code )}
 * (earlier windows were judged by earlier checks); the guard's final check then re-checks the whole response
 * with windows-max.
 *
 * <p>Thread-safe; each session is used from one thread and owns no native memory beyond per-call tensors.
 */
final class EncoderIncremental implements IncrementalClassifier {
  private final EncoderGuardClassifier owner;
  private final Scorer scorer;

  EncoderIncremental(EncoderGuardClassifier owner, Scorer scorer) {
    this.owner = owner;
    this.scorer = scorer;
  }

  @Override
  public Session open(ClassificationRequest request) {
    requireNonNull(request, "request");
    owner.checkOpen();
    if (request.target() != Target.PROMPT) {
      throw new IllegalArgumentException("open a streaming session on the conversation up to the user's prompt"
          + " (its last turn must be the user's); the response is appended with Session.append");
    }
    try (EncoderModel.Lease lease = scorer.model.lease()) {
      return new WindowSession(request);
    }
  }

  final class WindowSession implements Session {
    private final ClassificationRequest request;
    private final TaxonomyPlan plan;
    private final long[] promptSegment;
    private final long promptTokens;
    private final int window;
    private final int aloneWindow;
    private final IncrementalTokens response;
    /** Response ids before this were stable at the last successful score, and were read by it. */
    private long scoredUpTo;
    private boolean closed;

    WindowSession(ClassificationRequest request) {
      this.request = request;
      this.plan = scorer.plan(request.taxonomy(), request.cancellation());
      long[] prompt = scorer.model.tokenizer.encodeContent(request.conversation().lastPrompt());
      this.promptTokens = prompt.length;
      this.promptSegment = scorer.model.layout.promptSegment(prompt);
      this.window = scorer.model.layout.responseBudget(promptSegment);
      this.aloneWindow = scorer.model.layout.maxTokens - 2;
      this.response = new IncrementalTokens(scorer.model.tokenizer, Math.max(window, aloneWindow));
    }

    @Override
    public void append(String responseDelta) {
      requireNonNull(responseDelta, "responseDelta");
      checkOpen();
      try (EncoderModel.Lease lease = scorer.model.lease()) {
        response.append(responseDelta);
      }
    }

    @Override
    public Scores score() {
      checkOpen();
      try (EncoderModel.Lease lease = scorer.model.lease()) {
        return scoreLeased();
      }
    }

    private Scores scoreLeased() {
      Layout layout = scorer.model.layout;
      long total = response.count();
      long from = spanStart(window, total);
      long[] ids = response.range(Math.min(from, plan.hasCustom ? spanStart(aloneWindow, total) : from));
      long base = total - ids.length;
      List<Layout.Seq> main = new ArrayList<>();
      int off = (int) (from - base);
      for (int[] w : Layout.windows(ids.length - off, window)) {
        main.add(layout.pair(promptSegment, ids, off + w[0], off + w[1]));
      }
      List<Layout.Seq> custom = null;
      if (plan.hasCustom) {
        custom = new ArrayList<>();
        int off2 = (int) (spanStart(aloneWindow, total) - base);
        for (int[] w : Layout.windows(ids.length - off2, aloneWindow)) {
          custom.add(layout.single(ids, off2 + w[0], off2 + w[1]));
        }
      }
      long read = total - from;
      Truncation t = null;
      if (from > 0) {
        t = new Truncation(promptTokens + total, promptSegment.length + read, Truncation.Unit.TOKENS, PARTIAL_SCORE);
      } else if (main.size() > 1) {
        t = new Truncation(promptTokens + total, promptSegment.length + total, Truncation.Unit.TOKENS, Truncation.Strategy.WINDOWS_MAX);
      } else if (promptSegment.length < promptTokens) {
        t = new Truncation(promptTokens + total, promptSegment.length + total, Truncation.Unit.TOKENS, Truncation.Strategy.HEAD_TAIL);
      }
      Cancellation cancellation = request.cancellation();
      Scores s = scorer.score(List.of(new Scorer.Job(plan, main, custom, t)), cancellation).get(0);
      scoredUpTo = response.committed();
      response.retainFrom(Math.max(0, scoredUpTo - Math.max(window, aloneWindow)));
      return s;
    }

    /**
     * Where the rows of windows of {@code size} start: the last window when the unread text fits one, else half
     * a window before the unread text.
     */
    private long spanStart(int size, long total) {
      if (total - scoredUpTo <= size) {
        return Math.max(0, total - size);
      }
      return Math.max(0, scoredUpTo - size / 2);
    }

    @Override
    public long committedTokens() {
      checkOpen();
      return response.count();
    }

    /** The number of tokens of the longest row the next {@link #score()} feeds the model (bounded by maxTokens). */
    int nextInputLength() {
      return promptSegment.length + (int) Math.min(window, response.count()) + 3;
    }

    private void checkOpen() {
      if (closed) {
        throw new IllegalStateException("this streaming session is closed");
      }
      owner.checkOpen();
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
