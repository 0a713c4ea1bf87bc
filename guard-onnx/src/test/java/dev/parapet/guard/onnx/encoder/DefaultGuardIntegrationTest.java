package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamingSession;
import org.junit.jupiter.api.Test;

/** guard-core's {@code Guard.builder().build()} finds the embedded model through the "default" provider. */
class DefaultGuardIntegrationTest {
  @Test
  void guardBuilder_noClassifier_usesTheEmbeddedModel() {
    String id = SharedModel.get().info().id();
    try (Guard guard = Guard.builder().build()) {
      assertEquals(id, guard.classifierInfo().id());
      Verdict harmful = guard.checkPrompt(EncoderGuardClassifierTest.HARMFUL.get(0));
      Verdict benign = guard.checkPrompt(EncoderGuardClassifierTest.BENIGN.get(0));
      assertTrue(harmful.unsafeScore() > benign.unsafeScore(), harmful + " vs " + benign);
      try (StreamingSession s = guard.openStream(Conversation.ofPrompt("Tell me about bread."))) {
        for (String t : "Bread is made from flour , water , salt and yeast .".split(" ")) {
          s.onToken(t + " ");
        }
        StreamDecision end = s.finish();
        assertTrue(end.verdict().isPresent());
      }
    }
  }
}
