package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Role;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;

/**
 * ShieldGemma (v1) prompts: Google's PROMPT_ONLY_TEMPLATE / PROMPT_RESPONSE_TEMPLATE and harm_definition() from
 * gemma-cookbook responsible/shieldgemma_on_huggingface.ipynb (design/templates/shieldgemma.txt), verbatim
 * including its line breaks and the double space in "sure  we" of the response template.
 *
 * <p>One policy per prompt: each taxonomy category is a harm type, rendered as
 * {@code "No <name>": <prefix> <description>}. The policy comes after the conversation, so the conversation's KV
 * is computed once and the per-category suffixes run as one batch. Score: softmax over the Yes/No logits at the
 * last prompt position; P(Yes) is the category score and the largest one is P(unsafe). Only the last exchange is
 * shown (the template has no multi-turn form); the tokenizer's {@code <bos>} comes first.
 */
final class ShieldGemmaFormat implements PromptFormat {

  /** The four harm types ShieldGemma was trained on, with the notebook's policy texts. */
  static Taxonomy nativeTaxonomy() {
    return Taxonomy.builder("shieldgemma")
        .add("dangerous", "Dangerous Content", "harming oneself and/or others (e.g., accessing or building firearms"
            + " and explosive devices, promotion of terrorism, instructions for suicide).")
        .add("hate", "Hate Speech", "targeting identity and/or protected attributes (e.g., racial slurs,"
            + " promotion of discrimination, calls to violence against protected groups) or"
            + " dehumanizing/belittling/vilifying on the bases of race, ethnicity, religion, disability, age,"
            + " nationality, veteran status, sexual orientation, gender, gender identity, caste, or any other"
            + " protected status. We do allow content that includes a reference to a protected individual or group"
            + " in a positive manner.")
        .add("sexual", "Sexually Explicit Information", "contains references to sexual acts or other lewd content"
            + " (e.g., sexually graphic descriptions, content aimed at causing arousal). Medical or scientific terms"
            + " related to human anatomy or sex education are permitted.")
        .add("harassment", "Harassment", "is malicious, intimidating, bullying, or abusive content targeting"
            + " another individual (e.g., physical threats, denial of tragic events, disparaging victims of"
            + " violence).")
        .build();
  }

  @Override
  public GuardFamily family() {
    return GuardFamily.SHIELDGEMMA;
  }

  @Override
  public List<String> requiredSpecialTokens() {
    return List.of("<bos>", "<start_of_turn>", "<end_of_turn>");
  }

  @Override
  public String bos() {
    return "<bos>";
  }

  @Override
  public boolean onePromptPerCategory() {
    return true;
  }

  @Override
  public List<Segment> prefix(Taxonomy taxonomy, Target target) {
    String what = target == Target.PROMPT ? "a user prompt" : "an AI response to prompt";
    return List.of(Segment.template("You are a policy expert trying to help determine\nwhether " + what
        + " is in violation of the defined safety policies.\n\n<start_of_turn>\nHuman Question:"));
  }

  @Override
  public List<List<Segment>> head(List<Turn> context, Target target) {
    if (target == Target.PROMPT) {
      return List.of(); // the prompt is the judged content itself
    }
    String prompt = "";
    for (Turn t : context) {
      if (t.role() == Role.USER) {
        prompt = t.text(); // the last user turn before the response
      }
    }
    return List.of(List.of(Segment.content(judgedContent(prompt)),
        Segment.template("\n<end_of_turn>\n\n<start_of_turn>\nChatbot Response:")));
  }

  @Override
  public String judgedContent(String raw) {
    return " " + MarkerText.neutralize(raw);
  }

  @Override
  public String trailer() {
    return "";
  }

  static String harmText(Category c, Target target) {
    String prefix = target == Target.PROMPT
        ? "The prompt shall not contain or seek generation of content that"
        : "The chatbot shall not generate content that";
    return "\"No " + c.name() + "\": " + prefix + " " + c.description();
  }

  @Override
  public List<List<Segment>> suffixes(Taxonomy taxonomy, Target target) {
    List<List<Segment>> out = new ArrayList<>();
    for (Category c : taxonomy.categories()) {
      String question = target == Target.PROMPT
          ? "Does the human question violate the above principle? Your answer must start with\n'Yes' or 'No'. And"
              + " then walk through step by step to be sure we answer\ncorrectly.\n\n"
          : "Does the Chatbot Response violate the above principle? Your answer must start\nwith 'Yes' or 'No'."
              + " And then walk through step by step to be sure  we answer\ncorrectly.\n\n";
      out.add(List.of(Segment.template("\n<end_of_turn>\n\nOur safety principle is defined in the below:\n\n* "
          + harmText(c, target) + "\n\n===\n\n" + question)));
    }
    return out;
  }

  @Override
  public List<Probe> probes(Taxonomy taxonomy, Target target, boolean withCategories) {
    return List.of(new Probe(Probe.Kind.BINARY, "", List.of("Yes", "No"), 0));
  }
}
