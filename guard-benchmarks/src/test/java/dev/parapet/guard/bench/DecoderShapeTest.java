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
    assertEquals(new DecoderShape("llama-3.2-1b-int4", 16, 2048, 32, 8, 64, 8192, 128_256, true,
        DecoderShape.Arch.LLAMA32), s);
    assertTrue(s.realSize());
    TinyDecoderFixture.Config c = s.fixtureConfig("llama-guard-3", List.of());
    assertEquals(64, c.headDim());
    assertTrue(c.tiedEmbeddings() && c.externalData() && !c.qkNorm() && !c.gemma());
    // int4 projections + LM head and an fp16 embedding: about 1.3 GB, against 4.9 GB in fp32 (tied: one embedding)
    assertTrue(c.weightBytes() > 1_200_000_000L && c.weightBytes() < 1_400_000_000L, "" + c.weightBytes());
    long fp32 = DecoderShape.parse("llama-3.2-1b-fp32").fixtureConfig("llama-guard-3", List.of()).weightBytes();
    assertTrue(fp32 > 4_800_000_000L && fp32 < 5_000_000_000L, "" + fp32);
  }

  @Test
  void parse_qwen3Preset_hasAttentionWiderThanHiddenAndQkNorms() {
    DecoderShape s = DecoderShape.parse("qwen3-0.6b-fp32");
    TinyDecoderFixture.Config c = s.fixtureConfig("llama-guard-3", List.of());
    assertEquals(28, c.layers());
    assertEquals(1024, c.hidden());
    assertEquals(2048, c.attentionWidth());
    assertEquals(151_936, c.vocabSize());
    assertTrue(c.qkNorm() && c.tiedEmbeddings() && !c.int4() && c.externalData());
    assertTrue(c.weightBytes() > 2_300_000_000L && c.weightBytes() < 2_500_000_000L, "" + c.weightBytes());
  }

  @Test
  void parse_gemmaPreset_isShieldGemma2BsShapeWithGemmaSpecifics() {
    TinyDecoderFixture.Config c = DecoderShape.parse("gemma-2-2b-int4").fixtureConfig("shieldgemma", List.of());
    assertEquals(26, c.layers());
    assertEquals(256, c.headDim());
    assertEquals(4, c.kvHeads());
    assertEquals(256_000, c.vocabSize());
    assertTrue(c.gemma() && c.int4() && c.tiedEmbeddings());
    assertTrue(c.weightBytes() > 2_600_000_000L && c.weightBytes() < 3_000_000_000L, "" + c.weightBytes());
  }

  @Test
  void parse_layersByHidden_keepsTheDerivedHeadsAndMlp() {
    DecoderShape s = DecoderShape.parse("4x256");
    assertEquals(new DecoderShape("4x256x32000", 4, 256, 4, 2, 64, 704, 32_000, false, DecoderShape.Arch.PLAIN),
        s);
    assertFalse(s.realSize());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecoderShape.parse("qwen3"));
    assertTrue(e.getMessage().contains("llama-3.2-1b-int4") && e.getMessage().contains("qwen3-0.6b-fp32"),
        e.getMessage());
  }
}
