package dev.parapet.guard.testing;

import dev.parapet.guard.spi.Classifier;

/** The fake passes the same contract as real backends (with a bounded input so truncation is exercised). */
class ScriptedClassifierContractTest extends ClassifierContractTest {
  @Override
  protected Classifier createClassifier() {
    return ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.95).rule("hurt", "S1", 0.8)
        .maxInputTokens(4096).incremental(true).build();
  }
}
