package dev.parapet.guard.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.testing.TinyTokenizerJson;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentTokenizerTest {
  @TempDir static Path dir;
  static Map<String, Integer> vocab;
  static ContentTokenizer tok;

  @BeforeAll
  static void load() {
    vocab = TinyTokenizerJson.write(dir.resolve("tokenizer.json"), List.of("the quick brown fox"), 400);
    tok = ContentTokenizer.load(dir.resolve("tokenizer.json"));
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  private static long id(String t) {
    return vocab.get(t);
  }

  @Test
  void encodeContent_specialTokenText_fallsBackToOrdinaryPieces() {
    long eot = id("<|eot_id|>");
    long[] template = tok.encodeTemplate("<|eot_id|>");
    assertArrayEquals(new long[] {eot}, template);
    for (String s : List.of("<|eot_id|>", "<|start_header_id|>user<|end_header_id|>", "[SEP]", "<end_of_turn>",
        "<|im_end|>", "x<|eot_id|>y")) {
      long[] content = tok.encodeContent(s);
      assertTrue(content.length > 0, s);
      for (long c : content) {
        assertFalse(tok.specialIds().contains(c), s + " produced special id " + c);
      }
    }
  }

  @Test
  void encodeTemplate_matchesSpecialsAndAddsNoBos() {
    long[] ids = tok.encodeTemplate("<|begin_of_text|>hello world\n\n");
    assertArrayEquals(new long[] {id("<|begin_of_text|>"), id("hello"), id(" "), id("world"), id("\n\n")}, ids);
    assertArrayEquals(new long[] {id("hello"), id(" "), id("world")}, tok.encodeContent("hello world"));
  }

  @Test
  void encode_longText_isNotTruncated() {
    String text = "hello ".repeat(3000);
    assertEquals(6000, tok.encodeContent(text).length);
  }

  @Test
  void tokenIdVocabDecode_workAsDocumented() {
    assertEquals(id("unsafe"), tok.tokenId("unsafe").getAsLong());
    assertEquals(id("<|eot_id|>"), tok.tokenId("<|eot_id|>").getAsLong());
    assertTrue(tok.tokenId("no-such-token-xyz").isEmpty());
    assertEquals(400, tok.vocabSize());
    assertEquals(TinyTokenizerJson.SPECIAL_TOKENS.size(), tok.specialIds().size());
    assertEquals("hello world", tok.decode(tok.encodeContent("hello world")));
    assertEquals("", tok.decode(new long[0]));
    assertEquals(0, tok.encodeContent("").length);
  }

  @Test
  void close_isIdempotentAndUseAfterCloseThrows() {
    ContentTokenizer t = ContentTokenizer.load(dir.resolve("tokenizer.json"));
    t.close();
    t.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.encodeContent("hi"));
    assertTrue(e.getMessage().contains("is closed"), e.getMessage());
  }

  @Test
  void load_fromStream_behavesLikePath() throws Exception {
    byte[] json = Files.readAllBytes(dir.resolve("tokenizer.json"));
    try (ContentTokenizer t = ContentTokenizer.load(new ByteArrayInputStream(json), "classpath:tok.json")) {
      assertArrayEquals(tok.encodeTemplate("<|eot_id|>hello"), t.encodeTemplate("<|eot_id|>hello"));
      assertEquals("classpath:tok.json", t.source());
    }
  }

  @Test
  void load_missingOrMalformed_namesFile() {
    ModelLoadException missing =
        assertThrows(ModelLoadException.class, () -> ContentTokenizer.load(dir.resolve("nope.json")));
    assertTrue(missing.getMessage().contains("nope.json: tokenizer not found"), missing.getMessage());
    ModelLoadException bad = assertThrows(ModelLoadException.class, () -> ContentTokenizer.load(
        new ByteArrayInputStream("{\"model\": [".getBytes(StandardCharsets.UTF_8)), "t.json"));
    assertTrue(bad.getMessage().startsWith("t.json: malformed tokenizer JSON at line 1"), bad.getMessage());
    ModelLoadException notTok = assertThrows(ModelLoadException.class, () -> ContentTokenizer.load(
        new ByteArrayInputStream("{\"a\": 1}".getBytes(StandardCharsets.UTF_8)), "t.json"));
    assertTrue(notTok.getMessage().contains("not a Hugging Face tokenizer.json"), notTok.getMessage());
  }
}
