package dev.parapet.guard.server;

import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A deterministic classifier that blocks on texts containing "hold" until the test releases it: {@link #entered}
 * counts down when such a check starts, {@link #release} lets every held check finish (scoring safe). Other texts
 * score safe at once. Thread-safe.
 */
final class LatchClassifier implements Classifier {
  final CountDownLatch entered;
  final CountDownLatch release = new CountDownLatch(1);
  private final ClassifierInfo info = new ClassifierInfo("latch@1", Taxonomies.llamaGuard3(),
      EnumSet.of(Capability.PROMPT, Capability.RESPONSE, Capability.CUSTOM_TAXONOMY), Integer.MAX_VALUE, "none");

  LatchClassifier(int holders) {
    this.entered = new CountDownLatch(holders);
  }

  @Override
  public ClassifierInfo info() {
    return info;
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    String text = request.conversation().turns().get(request.conversation().turns().size() - 1).text();
    if (text.contains("hold")) {
      entered.countDown();
      try {
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the held check");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.util.concurrent.CancellationException("interrupted");
      }
    }
    return Scores.of(0.01);
  }
}
