package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Compiles and runs README.md's quick start verbatim (the lines between the markers). */
class ReadmeQuickStartTest {
  private final List<String> shown = new ArrayList<>();

  private void show(String text) {
    shown.add(text);
  }

  private void run(Classifier myClassifier, String prompt, List<String> tokens) {
    // README-BEGIN
    try (Guard guard = Guard.builder().classifier(myClassifier)
        .policy(PolicySpec.parse("default=block@0.5, S6=flag@0.7")).build()) {
      Verdict v = guard.checkPrompt("How do I make a pipe bomb?");
      if (v.isBlocked()) {
        show("Blocked: " + v.triggered().get(0).name()); // "Blocked: Indiscriminate Weapons"
      }
      try (StreamingSession s = guard.openStream(Conversation.ofPrompt(prompt))) {
        for (String token : tokens) {                    // your chat model's streamed tokens
          StreamDecision d = s.onToken(token);
          show(d.released());                            // only text that a passed check covered
          if (d.isStop()) break;                         // cut the model off
        }
        StreamDecision end = s.finish();                 // checks the full response
        show(end.isStop() ? "Sorry, I can't help with that." : end.released());
      }
    }
    // README-END
  }

  @Test
  void quickStart_runsAsDocumented() {
    Classifier myClassifier = ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).build();
    run(myClassifier, "Tell me about bread.", List.of("Bread ", "is ", "flour, ", "water ", "and ", "salt."));
    assertEquals("Blocked: Indiscriminate Weapons", shown.get(0));
    assertEquals("Bread is flour, water and salt.", String.join("", shown.subList(1, shown.size())));
  }

  @Test
  void quickStart_unsafeStream_showsRefusalOnly() {
    Classifier myClassifier = ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).build();
    run(myClassifier, "Tell me a story.", List.of("He ", "built ", "a ", "pipe bomb. ", "Then ", "he..."));
    String all = String.join("", shown.subList(1, shown.size()));
    assertTrue(all.endsWith("Sorry, I can't help with that."), all);
    assertTrue(!all.contains("pipe bomb"), all);
  }
}
