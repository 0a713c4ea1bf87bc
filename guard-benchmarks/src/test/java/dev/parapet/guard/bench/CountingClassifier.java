package dev.parapet.guard.bench;

import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.util.ArrayList;
import java.util.List;

/** A fake classifier that records the texts it was asked about and always answers P(unsafe) = 0.1. */
final class CountingClassifier implements Classifier {
  final List<String> judged = new ArrayList<>();

  @Override
  public ClassifierInfo info() {
    return new ClassifierInfo("counting-fake", Taxonomies.llamaGuard3(),
        ClassifierInfo.capabilities(Capability.PROMPT, Capability.RESPONSE), Integer.MAX_VALUE, "none");
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    judged.add(request.conversation().last().text());
    return Scores.of(0.1);
  }
}
