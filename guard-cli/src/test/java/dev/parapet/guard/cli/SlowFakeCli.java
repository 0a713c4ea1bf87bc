package dev.parapet.guard.cli;

import dev.parapet.guard.eval.KeywordClassifier;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;

/**
 * The {@code parapet} command line over {@link KeywordClassifier} slowed to ~5 ms a check, as a process of its own:
 * for tests that kill a running command (EvalSigtermTest). Not a test itself.
 */
public final class SlowFakeCli {
  private SlowFakeCli() {}

  public static void main(String[] args) {
    KeywordClassifier fast = new KeywordClassifier();
    Classifier slow = new Classifier() {
      @Override
      public ClassifierInfo info() {
        return fast.info();
      }

      @Override
      public Scores classify(ClassificationRequest request) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return fast.classify(request);
      }
    };
    System.exit(Main.commandLine(opts -> Engine.create(slow, opts), System.in).execute(args));
  }
}
