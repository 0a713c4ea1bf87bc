package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecoderShapeTest {
  @Test
  void parse_llama1bPreset_isLlamaGuard3OneBsShapeInInt4() {
    DecoderShape s = DecoderShape.parse("Llama-3.2-1B-int4");
    assertEquals(new DecoderShape("llama-3.2-1b-int4", 16, 2048, 32, 8, 8192, 128_256, true), s);
    assertTrue(s.realSize());
    TinyDecoderFixture.Config c = s.fixtureConfig("llama-guard-3", List.of());
    assertEquals(64, c.headDim());
    // int4 projections + LM head and an fp16 embedding: about 1.3 GB, against 6 GB in fp32
    assertTrue(c.weightBytes() > 1_200_000_000L && c.weightBytes() < 1_400_000_000L, "" + c.weightBytes());
    assertTrue(c.withInt4(false).weightBytes() > 5_000_000_000L, "" + c.withInt4(false).weightBytes());
  }

  @Test
  void parse_layersByHidden_keepsTheDerivedHeadsAndMlp() {
    DecoderShape s = DecoderShape.parse("4x256");
    assertEquals(new DecoderShape("4x256x32000", 4, 256, 4, 2, 704, 32_000, false), s);
    assertFalse(s.realSize());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecoderShape.parse("qwen3"));
    assertTrue(e.getMessage().contains("llama-3.2-1b-int4"), e.getMessage());
  }
}
