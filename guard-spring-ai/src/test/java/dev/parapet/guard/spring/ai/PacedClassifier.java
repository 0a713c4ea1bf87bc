package dev.parapet.guard.spring.ai;

import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import java.util.concurrent.Semaphore;

/**
 * Delegates to a classifier (without its incremental view, so every check is one classify call) and releases one
 * permit after each check: the paced {@link ScriptedChatModel} then produces its next token.
 */
final class PacedClassifier implements Classifier {
  private final Classifier delegate;
  final Semaphore checks = new Semaphore(0);

  PacedClassifier(Classifier delegate) {
    this.delegate = delegate;
  }

  @Override
  public ClassifierInfo info() {
    return delegate.info();
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    try {
      return delegate.classify(request);
    } finally {
      checks.release();
    }
  }

  @Override
  public void close() {
    delegate.close();
  }
}
