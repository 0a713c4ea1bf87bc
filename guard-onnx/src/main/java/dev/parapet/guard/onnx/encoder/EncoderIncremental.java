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
 * Streaming for the encoder: a windowed re-check. Each {@link Session#score()} runs one forward pass over
 * {@code [CLS] prompt [SEP] last W response tokens [SEP]}, with the prompt cut to
 * {@code promptTokensInResponse} (head+tail) and {@code W = maxTokens - 3 - promptTokens}, so a check costs the
 * same however long the response grows (plus one more row, {@code [CLS] last maxTokens-2 tokens [SEP]}, when the
 * taxonomy has custom categories). The response is tokenized delta by delta ({@link IncrementalTokens}).
 *
 * <p>While the response fits one window, {@code score()} equals the classifier's response check of the same
 * text. Past that, it judges the most recent window only (earlier windows were judged by earlier checks) and
 * records {@code Truncation(strategy = "last-window")}; a final whole-text check uses windows-max instead.
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
    return new WindowSession(request);
  }

  final class WindowSession implements Session {
    private final ClassificationRequest request;
    private final TaxonomyPlan plan;
    private final long[] promptSegment;
    private final long promptTokens;
    private final int window;
    private final IncrementalTokens response;
    private boolean closed;

    WindowSession(ClassificationRequest request) {
      this.request = request;
      this.plan = scorer.plan(request.taxonomy(), request.cancellation());
      long[] prompt = scorer.model.tokenizer.encodeContent(request.conversation().lastPrompt());
      this.promptTokens = prompt.length;
      this.promptSegment = scorer.model.layout.promptSegment(prompt);
      this.window = scorer.model.layout.responseBudget(promptSegment);
      this.response = new IncrementalTokens(scorer.model.tokenizer,
          Math.max(window, scorer.model.layout.maxTokens - 2));
    }

    @Override
    public void append(String responseDelta) {
      requireNonNull(responseDelta, "responseDelta");
      checkOpen();
      response.append(responseDelta);
    }

    @Override
    public Scores score() {
      checkOpen();
      Layout layout = scorer.model.layout;
      long[] last = response.last(window);
      List<Layout.Seq> main = List.of(layout.pair(promptSegment, last, 0, last.length));
      List<Layout.Seq> custom = null;
      if (plan.hasCustom) {
        long[] alone = response.last(layout.maxTokens - 2);
        custom = new ArrayList<>(List.of(layout.single(alone, 0, alone.length)));
      }
      long total = response.count();
      Truncation t = null;
      if (total > last.length) {
        t = new Truncation(promptTokens + total, promptSegment.length + last.length, "tokens", "last-window");
      } else if (promptSegment.length < promptTokens) {
        t = new Truncation(promptTokens + total, promptSegment.length + total, "tokens", "head+tail");
      }
      Cancellation cancellation = request.cancellation();
      return scorer.score(List.of(new Scorer.Job(plan, main, custom, t)), cancellation).get(0);
    }

    @Override
    public long committedTokens() {
      checkOpen();
      return response.count();
    }

    /** The number of tokens the next {@link #score()} feeds the model (for tests: bounded by maxTokens). */
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
