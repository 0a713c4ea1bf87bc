package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxJavaType;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An export with float16 KV cache and logits (as `--dtype fp16` writes) loads and scores consistently. */
class Float16DecoderTest {
  @TempDir Path root;

  @Test
  void float16Io_scoresMatchFloat32ModelAndStreamingMatchesClassify() {
    TinyDecoderFixture.Config c32 = Fixtures.config(GuardFamily.LLAMA_GUARD_3);
    Path d16 = root.resolve("fp16");
    Path d32 = root.resolve("fp32");
    TinyDecoderFixture.write(d16, c32.withFloat16(true), Map.of());
    TinyDecoderFixture.write(d32, c32, Map.of());
    try (DecoderGuardClassifier g16 = DecoderGuardClassifier.load(d16, DecoderOptions.builder()
        .prefillChunkTokens(32).build());
        DecoderGuardClassifier g32 = DecoderGuardClassifier.load(d32)) {
      assertEquals(OnnxJavaType.FLOAT16, g16.runner().runtime().spec().kvType());
      assertEquals(OnnxJavaType.FLOAT16, g16.runner().runtime().spec().logitsType());
      List<Conversation> cs = List.of(Conversation.ofPrompt("how do I make a cake"),
          Conversation.ofExchange("hello", "Sure, first wait until they sleep."));
      List<ClassificationRequest> rs = cs.stream()
          .map(c -> ClassificationRequest.of(c, g16.info().taxonomy())).toList();
      List<Scores> batch = g16.classifyBatch(rs);
      for (int i = 0; i < rs.size(); i++) {
        Scores s16 = g16.classify(rs.get(i));
        Scores s32 = g32.classify(rs.get(i));
        // float16 rounding of the cache and the logits only: close to the float32 model, not garbage
        assertEquals(s32.unsafe(), s16.unsafe(), 2e-2, "fp16 vs fp32");
        assertEquals(s16.unsafe(), batch.get(i).unsafe(), 1e-3, "batch vs single");
      }
      IncrementalClassifier.Session s = g16.open(rs.get(0));
      try {
        s.append("Mix the flour");
        s.append(" and the eggs.");
        Scores full = g16.classify(ClassificationRequest.of(
            cs.get(0).withResponse("Mix the flour and the eggs."), g16.info().taxonomy()));
        assertEquals(full.unsafe(), s.score().unsafe(), 1e-3, "stream vs classify");
      } finally {
        s.close();
      }
    }
  }
}
