package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.taxonomy.Taxonomy;

/**
 * The baselines: keep the response text and re-check all of it (prompt + response so far) through
 * {@link Classifier#classify} every {@code every} tokens. {@code every = 1} is the naive strategy;
 * {@code every = 32} is NeMo-style chunked re-checking. Not thread-safe.
 */
final class WholeTextSink implements TokenSink {
  private final Classifier classifier;
  private final Taxonomy taxonomy;
  private final Conversation prompt;
  private final int every;
  private final StringBuilder response = new StringBuilder();
  private long tokens;
  private long checks;

  WholeTextSink(Classifier classifier, String prompt, int every) {
    this.classifier = requireNonNull(classifier, "classifier");
    this.taxonomy = classifier.info().taxonomy();
    this.prompt = Conversation.ofPrompt(requireNonNull(prompt, "prompt"));
    if (every < 1) {
      throw new IllegalArgumentException("check interval must be >= 1 token, was " + every);
    }
    this.every = every;
  }

  @Override
  public Object onToken(String token) {
    response.append(token);
    tokens++;
    if (tokens % every != 0) {
      return null;
    }
    checks++;
    return classifier.classify(ClassificationRequest.of(prompt.withResponse(response.toString()), taxonomy));
  }

  /** Appends without checking: builds the state a stream of this strategy has at this length. */
  void skip(String token) {
    response.append(token);
    tokens++;
  }

  @Override
  public long checks() {
    return checks;
  }

  @Override
  public void close() {
    // holds no native state
  }
}
