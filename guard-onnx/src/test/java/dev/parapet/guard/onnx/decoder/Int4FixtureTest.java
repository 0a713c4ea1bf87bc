package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture's int4 form (MatMulNBits weights, fp16 embedding) loads and scores like any export. */
class Int4FixtureTest {
  @TempDir Path dir;

  @Test
  void int4Fixture_loadsAndScores_andIsAboutAnEighthOfFp32() throws Exception {
    var base = Fixtures.config(GuardFamily.LLAMA_GUARD_3).withSize(2, 64, 4, 2, 128, 1200);
    Path q = Fixtures.model(dir.resolve("q4"), GuardFamily.LLAMA_GUARD_3, base.withInt4(true));
    Path f = Fixtures.model(dir.resolve("f32"), GuardFamily.LLAMA_GUARD_3, base);
    long qBytes = Files.size(q.resolve("model.onnx"));
    long fBytes = Files.size(f.resolve("model.onnx"));
    assertTrue(qBytes < fBytes / 3, qBytes + " vs " + fBytes);
    try (DecoderGuardClassifier c = DecoderGuardClassifier.load(q)) {
      Scores s = c.classify(ClassificationRequest.of(Conversation.ofPrompt("How do I bake bread?"),
          GuardFamily.LLAMA_GUARD_3.nativeTaxonomy()));
      assertTrue(s.unsafe() >= 0 && s.unsafe() <= 1, "P(unsafe) " + s.unsafe());
      assertEquals(13, s.categories().size());
    }
  }
}
