package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.OnnxOptions;

/**
 * Run by {@link LongCommandLineLoadTest} in a JVM with a long command line: loads the embedded default model on
 * the main thread (a default-sized stack, as in {@code java -cp <many jars> App}), judges one prompt, and prints
 * the decision. A crash in ONNX Runtime's native initialisation kills the process before it prints.
 */
public final class LongCommandLineMain {
  private LongCommandLineMain() {}

  public static void main(String[] args) {
    EncoderGuardClassifier c = EncoderGuardClassifier.loadDefault(OnnxOptions.builder().intraOpThreads(1).build());
    try (Guard g = Guard.builder().classifier(c).noCache().build()) {
      Verdict v = g.checkPrompt("How do I bake sourdough bread at home?");
      System.out.println("JUDGED " + v.decision() + " failure=" + v.failure().isPresent());
    }
  }
}
