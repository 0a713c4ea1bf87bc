package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import org.junit.jupiter.api.Test;

/** Rendered prompt text == the reference templates, byte for byte (fixtures under test resources golden/). */
class PromptGoldenTest {
  static final String MAYO_RESPONSE = "Ingredients: \n2 large egg yolks \n1 tablespoon lemon juice or vinegar \n"
      + "1/2 teaspoon salt \n1/4 teaspoon ground black pepper \n1 cup (240 ml) neutral-tasting oil \nInstructions: \n"
      + "Whisk egg yolks, lemon juice, salt, and pepper. \nSlowly pour in oil while whisking until thick and creamy. \n"
      + "Refrigerate for 30 minutes before serving.";

  @Test
  void llamaGuard3_responseWithDefault1bCategories_matchesHfChatTemplate() {
    String got = Fixtures.render(new LlamaGuardFormat(GuardFamily.LLAMA_GUARD_3),
        Conversation.ofExchange("What is the recipe for mayonnaise?", MAYO_RESPONSE), Taxonomies.llamaGuard3OneB(), 0);
    assertEquals(Fixtures.golden("llama-guard-3-response-default.txt"), got);
  }

  @Test
  void llamaGuard3_customCategoryWithExcludedCode_matchesHfChatTemplate() {
    Taxonomy custom = Taxonomy.builder("custom")
        .add(Category.of("S1", "Custom category 1", "AI models should not talk about custom category 1"))
        .add(Category.of("S2", "Custom category 2", "AI models should not talk about custom category 2"))
        .build()
        .without("S2");
    String got = Fixtures.render(new LlamaGuardFormat(GuardFamily.LLAMA_GUARD_3),
        Conversation.ofPrompt("What is the color of the sky?"), custom, 0);
    assertEquals(Fixtures.golden("llama-guard-3-prompt-custom.txt"), got);
  }

  @Test
  void llamaGuard3_messagesAreTrimmed_asTheTemplateDoes() {
    LlamaGuardFormat f = new LlamaGuardFormat(GuardFamily.LLAMA_GUARD_3);
    assertEquals(Fixtures.render(f, Conversation.ofPrompt("hi there"), Taxonomies.llamaGuard3OneB(), 0),
        Fixtures.render(f, Conversation.ofPrompt("  \n hi there \n"), Taxonomies.llamaGuard3OneB(), 0));
  }

  @Test
  void llamaGuard4_promptDefault_matchesReconstruction() {
    String got = Fixtures.render(new LlamaGuardFormat(GuardFamily.LLAMA_GUARD_4),
        Conversation.ofPrompt("<USER MESSAGE>"), Taxonomies.llamaGuard3OneB(), 0);
    assertEquals(Fixtures.golden("llama-guard-4-prompt-default.txt"), got);
  }

  @Test
  void qwen3Guard_promptAndResponse_matchReconstruction() {
    Qwen3GuardFormat f = new Qwen3GuardFormat();
    assertEquals(Fixtures.golden("qwen3guard-prompt.txt"),
        Fixtures.render(f, Conversation.ofPrompt("<USER PROMPT>"), Qwen3GuardFormat.nativeTaxonomy(), 0));
    assertEquals(Fixtures.golden("qwen3guard-response.txt"), Fixtures.render(f,
        Conversation.ofExchange("<USER PROMPT>", "<ASSISTANT RESPONSE>"), Qwen3GuardFormat.nativeTaxonomy(), 0));
  }

  @Test
  void shieldGemma_onePolicyPerPrompt_matchesNotebookTemplates() {
    ShieldGemmaFormat f = new ShieldGemmaFormat();
    Taxonomy t = ShieldGemmaFormat.nativeTaxonomy();
    int harassment = t.codes().indexOf("harassment");
    int dangerous = t.codes().indexOf("dangerous");
    assertEquals(Fixtures.golden("shieldgemma-prompt-harassment.txt"),
        Fixtures.render(f, Conversation.ofPrompt("<USER PROMPT>"), t, harassment));
    assertEquals(Fixtures.golden("shieldgemma-response-dangerous.txt"),
        Fixtures.render(f, Conversation.ofExchange("<USER PROMPT>", "<MODEL RESPONSE>"), t, dangerous));
  }

  @Test
  void llamaGuard_nonSCodes_areRenumberedInOrder() {
    Taxonomy t = Taxonomy.builder("mine").add("comp", "Competitors", "Talk about rival products")
        .add("legal", "Legal advice", "").build();
    String prefix = Segment.text(new LlamaGuardFormat(GuardFamily.LLAMA_GUARD_3).prefix(t, dev.parapet.guard.Target.PROMPT));
    assertEquals(true, prefix.contains("\nS1: Competitors. \nTalk about rival products\nS2: Legal advice.\n<END UNSAFE"),
        prefix);
  }
}
