package dev.parapet.guard.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.ModelLoadException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenizerJsonTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final String WORDPIECE = """
      {"version": "1.0", "truncation": null,
       "added_tokens": [
         {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
         {"id": 5, "content": "<tool>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": true, "special": false},
         {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
       ],
       "normalizer": {"type": "BertNormalizer", "lowercase": true, "strip_accents": null},
       "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                 "vocab": {"[PAD]": 0, "[UNK]": 1, "hello": 2, "world": 3, "##s": 4, "\\u00e9t\\u00e9": 6}}}
      """;

  @Test
  void parse_wordPiece_readsIdsSpecialsUnkAndMaxId() {
    TokenizerJson t = TokenizerJson.parse(bytes(WORDPIECE), "t.json");
    assertEquals(2L, t.tokenId("hello").orElseThrow());
    assertEquals(6L, t.tokenId("été").orElseThrow());
    assertEquals(5L, t.tokenId("<tool>").orElseThrow());
    assertTrue(t.tokenId("nope").isEmpty());
    assertEquals(Set.of(0L, 1L), t.specialIds);
    assertEquals(List.of("[PAD]", "[UNK]"), List.copyOf(t.specialTokens));
    assertEquals(1L, t.unkId);
    assertEquals(7, t.vocabSize());
  }

  @Test
  void parse_vocabBeforeAddedTokens_readsEverythingAtLoad() {
    TokenizerJson t = TokenizerJson.parse(bytes("""
        {"model": {"vocab": {"a": 0, "b": 1, "<unk>": 2}, "unk_token": "<unk>"},
         "added_tokens": [{"id": 3, "content": "<s>", "special": true}, {"id": 1, "content": "bee", "special": false}]}
        """), "o.json");
    assertEquals(2L, t.unkId, "unknown token found in the vocabulary");
    assertEquals(1L, t.tokenId("b").orElseThrow());
    assertEquals(1L, t.tokenId("bee").orElseThrow());
    assertEquals(4, t.vocabSize());
  }

  @Test
  void parse_bpeWithNullUnknownToken_hasNoUnknownIdAndReadsVocabOnDemand() {
    TokenizerJson t = TokenizerJson.parse(bytes("""
        {"added_tokens": [{"id": 2, "content": "<|end|>", "special": true}],
         "model": {"type": "BPE", "unk_token": null, "vocab": {"h": 0, "i": 1}, "merges": ["h i"]}}
        """), "b.json");
    assertEquals(-1L, t.unkId);
    assertEquals(1L, t.tokenId("i").orElseThrow());
    assertEquals(3, t.vocabSize());
  }

  @Test
  void parse_unknownTokenOnlyInVocabulary_isResolvedAtLoad() {
    TokenizerJson t = TokenizerJson.parse(bytes("""
        {"added_tokens": [], "model": {"unk_token": "<unk>", "vocab": {"x": 0, "<unk>": 1}}}
        """), "u.json");
    assertEquals(1L, t.unkId);
  }

  @Test
  void parse_contentCopy_dropsSpecialAndMarkupAddedTokensAndKeepsEverythingElse() throws Exception {
    TokenizerJson t = TokenizerJson.parse(bytes(WORDPIECE), "t.json");
    JsonNode expected = MAPPER.readTree(WORDPIECE);
    // the non-special "<tool>" is markup (Qwen's <think> is the real case): dropped as well
    ((ObjectNode) expected).set("added_tokens", MAPPER.createArrayNode());
    assertEquals(expected, MAPPER.readTree(t.contentBytes));
    assertTrue(t.markupTokens.contains("<tool>"));
    assertFalse(t.specialTokens.contains("<tool>"));
  }

  @Test
  void parse_whitespaceOnlyAddedTokens_stayInTheContentCopy() throws Exception {
    String json = """
        {"added_tokens": [{"id": 2, "content": "\\n\\n", "special": false},
                          {"id": 3, "content": "\\u2581\\u2581", "special": false},
                          {"id": 4, "content": "<think>", "special": false}],
         "model": {"type": "BPE", "unk_token": null, "vocab": {"h": 0, "i": 1}, "merges": ["h i"]}}
        """;
    TokenizerJson t = TokenizerJson.parse(bytes(json), "w.json");
    JsonNode added = MAPPER.readTree(t.contentBytes).get("added_tokens");
    assertEquals(2, added.size(), added.toString());
    assertEquals(java.util.Set.of("<think>"), t.markupTokens);
    assertEquals(java.util.Set.of(4L), t.markupIds);
  }

  @Test
  void parse_noSpecialAddedTokens_contentIsTheOriginalBytes() {
    byte[] in = bytes("{\"added_tokens\": [], \"model\": {\"vocab\": {\"a\": 0}}}");
    assertSame(in, TokenizerJson.parse(in, "t.json").contentBytes);
  }

  @Test
  void parse_unigramVocabArray_idIsTheIndex() {
    TokenizerJson t = TokenizerJson.parse(bytes("""
        {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
         "model": {"type": "Unigram", "unk_id": 0,
                   "vocab": [["<unk>", 0.0], ["\\u2581the", -2.5], ["s", -3.1, {"extra": [1, 2]}], ["\\u2581the", -9.0]]}}
        """), "u.json");
    assertEquals(1L, t.tokenId("\u2581the").orElseThrow(), "the first occurrence wins");
    assertEquals(2L, t.tokenId("s").orElseThrow());
    assertEquals(4, t.vocabSize());
    assertEquals(-1L, t.unkId, "Unigram names its unknown by id, not unk_token");
  }

  @Test
  void parse_badInput_saysWhatIsWrongAndWhere() {
    assertTrue(message("[1, 2]").contains("not a Hugging Face tokenizer.json"));
    assertTrue(message("{\"added_tokens\": []}").contains("no \"model\" object"));
    assertTrue(message("{\"model\": {\"vocab\": {}}}").contains("empty vocabulary"));
    assertTrue(message("{\"added_tokens\": [], \"model\": {\"unk_token\": \"[UNK]\", \"vocab\": {}}}")
        .contains("empty vocabulary"), "also when the vocabulary is left for later");
    assertTrue(message("{\"model\": {\"vocab\": {\"a\": 0}}, \"added_tokens\": [{\"content\": \"x\"}]}")
        .contains("added_tokens entry without id/content"));
    assertTrue(message("{\"model\": {\"vocab\": {\"a\": 0}}, \"added_tokens\": [{\"id\": 1, \"content\": [1]}]}")
        .contains("nested value in \"content\""));
    String truncated = message(WORDPIECE.substring(0, WORDPIECE.indexOf("<tool>")));
    assertTrue(truncated.contains("malformed tokenizer JSON at line"), truncated);
  }

  @Test
  void load_truncatedInsideTheVocabulary_isRejectedAtLoadNotAtFirstLookup() {
    // The load-time pass stops at the vocabulary; DJL reads the whole file and refuses it.
    byte[] truncated = bytes(WORDPIECE.substring(0, WORDPIECE.indexOf("\"hello\"")));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ContentTokenizer.load(new java.io.ByteArrayInputStream(truncated), "t.json"));
    assertTrue(e.getMessage().startsWith("t.json: the tokenizer library rejected tokenizer.json"), e.getMessage());
  }

  @Test
  void parse_embeddedBertTokenizer_agreesWithAJacksonTreeOfTheWholeFile() throws Exception {
    byte[] bytes;
    try (java.io.InputStream in = getClass().getClassLoader()
        .getResourceAsStream("dev/parapet/guard/model/default/tokenizer.json")) {
      assertTrue(in != null, "the embedded default model is on the test classpath");
      bytes = in.readAllBytes();
    }
    TokenizerJson t = TokenizerJson.parse(bytes, "tokenizer.json");
    JsonNode tree = MAPPER.readTree(bytes);
    long max = -1;
    for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = tree.get("model").get("vocab").fields();
        it.hasNext(); ) {
      java.util.Map.Entry<String, JsonNode> e = it.next();
      assertEquals(e.getValue().asLong(), t.tokenId(e.getKey()).orElseThrow(), e.getKey());
      max = Math.max(max, e.getValue().asLong());
    }
    java.util.Set<Long> special = new java.util.LinkedHashSet<>();
    ArrayNode kept = MAPPER.createArrayNode();
    for (JsonNode a : tree.get("added_tokens")) {
      assertEquals(a.get("id").asLong(), t.tokenId(a.get("content").asText()).orElseThrow());
      max = Math.max(max, a.get("id").asLong());
      if (a.get("special").asBoolean()) {
        special.add(a.get("id").asLong());
      } else {
        kept.add(a);
      }
    }
    assertEquals(special, t.specialIds);
    assertEquals(max + 1, t.vocabSize());
    assertEquals(tree.get("model").get("vocab").get("[UNK]").asLong(), t.unkId);
    ((ObjectNode) tree).set("added_tokens", kept);
    assertEquals(tree, MAPPER.readTree(t.contentBytes));
  }

  private static String message(String json) {
    return assertThrows(ModelLoadException.class, () -> TokenizerJson.parse(bytes(json), "bad.json")).getMessage();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
