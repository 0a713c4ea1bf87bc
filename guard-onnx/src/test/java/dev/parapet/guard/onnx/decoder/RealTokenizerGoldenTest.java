package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.testing.RealTokenizers;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each family's prompt, assembled by Parapet from id segments with the REAL tokenizer, equals the ids of the
 * official rendered prompt tokenized as one string by an independent implementation (golden/token-ids.json,
 * written once by scripts/golden-ids/generate.mjs with @lenml/tokenizers, a transformers.js port); and every
 * decision token Parapet reads (safe/unsafe after "\n\n", S1..S14 after "unsafe\nS", Qwen3Guard's levels and
 * category names, ShieldGemma's Yes/No) is the id the model would produce when writing its answer.
 */
class RealTokenizerGoldenTest {
  record Case(String file, PromptFormat format, Conversation conversation, Taxonomy taxonomy, int suffix) {
    @Override
    public String toString() {
      return file;
    }
  }

  static Stream<Arguments> cases() {
    Taxonomy custom = Taxonomy.builder("custom")
        .add(Category.of("S1", "Custom category 1", "AI models should not talk about custom category 1"))
        .add(Category.of("S2", "Custom category 2", "AI models should not talk about custom category 2"))
        .build().without("S2");
    Taxonomy sg = ShieldGemmaFormat.nativeTaxonomy();
    LlamaGuardFormat lg3 = new LlamaGuardFormat(GuardFamily.LLAMA_GUARD_3);
    return Stream.of(
        new Case("llama-guard-3-response-default.txt", lg3, Conversation.ofExchange(
            "What is the recipe for mayonnaise?", PromptGoldenTest.MAYO_RESPONSE), Taxonomies.llamaGuard3OneB(), 0),
        new Case("llama-guard-3-prompt-custom.txt", lg3, Conversation.ofPrompt("What is the color of the sky?"),
            custom, 0),
        new Case("qwen3guard-prompt.txt", new Qwen3GuardFormat(), Conversation.ofPrompt("<USER PROMPT>"),
            Qwen3GuardFormat.nativeTaxonomy(), 0),
        new Case("qwen3guard-response.txt", new Qwen3GuardFormat(),
            Conversation.ofExchange("<USER PROMPT>", "<ASSISTANT RESPONSE>"), Qwen3GuardFormat.nativeTaxonomy(), 0),
        new Case("shieldgemma-prompt-harassment.txt", new ShieldGemmaFormat(), Conversation.ofPrompt("<USER PROMPT>"),
            sg, sg.codes().indexOf("harassment")),
        new Case("shieldgemma-response-dangerous.txt", new ShieldGemmaFormat(),
            Conversation.ofExchange("<USER PROMPT>", "<MODEL RESPONSE>"), sg, sg.codes().indexOf("dangerous")))
        .map(Arguments::of);
  }

  static JsonNode reference(String file) throws Exception {
    try (InputStream in = RealTokenizerGoldenTest.class.getResourceAsStream("golden/token-ids.json")) {
      for (JsonNode c : new ObjectMapper().readTree(in).get("cases")) {
        if (c.get("file").asText().equals(file)) {
          return c;
        }
      }
    }
    throw new AssertionError("no reference ids for " + file + "; run scripts/golden-ids/generate.sh");
  }

  static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asLong();
    }
    return out;
  }

  static ContentTokenizer checkedTokenizer(JsonNode ref) throws Exception {
    String name = ref.get("tokenizer").asText();
    byte[] bytes = Files.readAllBytes(RealTokenizers.require(name));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    assertEquals(ref.get("tokenizerSha256").asText(), sha, "the fetched " + name + " tokenizer.json is not the one"
        + " the reference ids were made with (" + ref.get("package").asText() + "); fetch that version");
    return RealPrompts.tokenizer(name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void prompt_fromIdSegments_equalsOfficialPromptTokenizedWhole(Case c) throws Exception {
    JsonNode ref = reference(c.file());
    PromptEncoder enc = new PromptEncoder(checkedTokenizer(ref));
    long[] ours = RealPrompts.ids(c.format(), enc, c.conversation(), c.taxonomy(), c.suffix(),
        CategoryMode.TEACHER_FORCED).all();
    assertArrayEquals(longs(ref.get("prompt")), ours, c.file());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decisionTokens_areTheIdsTheModelWritesItsAnswerWith(Case c) throws Exception {
    JsonNode ref = reference(c.file());
    PromptEncoder enc = new PromptEncoder(checkedTokenizer(ref));
    Plan plan = RealPrompts.ids(c.format(), enc, c.conversation(), c.taxonomy(), c.suffix(),
        CategoryMode.TEACHER_FORCED).plan();
    StringBuilder forced = new StringBuilder();
    int checked = 0;
    for (Plan.ResolvedProbe p : plan.probes()) {
      forced.append(p.probe().forced());
      List<String> options = p.probe().options();
      for (int i = 0; i < options.size(); i++) {
        String answer = forced + options.get(i);
        JsonNode expected = ref.get("answers").get(answer);
        assertNotNull(expected, c.file() + ": no reference answer " + answer.replace("\n", "\\n"));
        long[] ours = PromptEncoder.concat(java.util.Arrays.copyOf(plan.chain(), p.readOffset() + 1),
            new long[] {p.optionIds()[i]});
        long[] theirs = java.util.Arrays.copyOf(longs(expected), ours.length);
        assertArrayEquals(theirs, ours, c.file() + ": answer " + answer.replace("\n", "\\n"));
        checked++;
      }
    }
    assertEquals(true, checked >= 2, "no decision token checked");
  }
}
