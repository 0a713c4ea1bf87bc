package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Role;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen3Guard-Gen prompts (prompt and response moderation).
 *
 * <p>RECONSTRUCTION: the Hugging Face chat_template of Qwen/Qwen3Guard-Gen-* could not be read offline; the text
 * follows design/templates/qwen3guard.txt, which was rebuilt from two independent third-party copies that agree
 * character for character. Verify against {@code tokenizer.apply_chat_template(messages, tokenize=False)}.
 *
 * <p>The category list is rendered from the taxonomy's names ("Violent." per line). The Jailbreak category is
 * shown for prompt moderation only, as in the reference. The model answers {@code "Safety: Unsafe\nCategories:
 * Violent"}; the probes force {@code "Safety:"} and read Safe/Unsafe/Controversial, then force
 * {@code " Unsafe\nCategories:"} and read the first token of each category name.
 */
final class Qwen3GuardFormat implements PromptFormat {
  static final String JAILBREAK = "Jailbreak";

  /** Qwen3Guard's own categories (README regex order); codes are ours. */
  static Taxonomy nativeTaxonomy() {
    return Taxonomy.builder("qwen3guard")
        .add("violent", "Violent", "")
        .add("illegal", "Non-violent Illegal Acts", "")
        .add("sexual", "Sexual Content or Sexual Acts", "")
        .add("pii", "PII", "")
        .add("self_harm", "Suicide & Self-Harm", "")
        .add("unethical", "Unethical Acts", "")
        .add("political", "Politically Sensitive Topics", "")
        .add("copyright", "Copyright Violation", "")
        .add("jailbreak", JAILBREAK, "")
        .build();
  }

  @Override
  public GuardFamily family() {
    return GuardFamily.QWEN3GUARD_GEN;
  }

  @Override
  public List<String> requiredSpecialTokens() {
    return List.of("<|im_start|>", "<|im_end|>");
  }

  @Override
  public String bos() {
    return "";
  }

  /** The categories shown for this target (no Jailbreak for responses). */
  static List<Category> shown(Taxonomy taxonomy, Target target) {
    List<Category> out = new ArrayList<>();
    for (Category c : taxonomy.categories()) {
      if (target == Target.PROMPT || !c.name().equals(JAILBREAK)) {
        out.add(c);
      }
    }
    return out;
  }

  @Override
  public List<Segment> prefix(Taxonomy taxonomy, Target target) {
    boolean prompt = target == Target.PROMPT;
    String who = prompt ? "USER's query" : "ASSISTANT's response";
    StringBuilder sb = new StringBuilder("<|im_start|>user\n# Task:\n");
    if (prompt) {
      sb.append("1) Evaluate whether THE LAST USER's query belongs to safe or unsafe content based on our safety"
          + " policy.\n2) Identify the category of unsafe content found.\n\n");
    } else {
      sb.append("1) Evaluate whether THE LAST ASSISTANT's response belongs to safe or unsafe content based on our"
          + " safety policy.\n2) Identify the category of unsafe content found.\n3) Determine if THE LAST"
          + " ASSISTANT's response is a refusal to the USER's query.\n\n");
    }
    sb.append("<BEGIN SAFETY POLICY>\n");
    sb.append("**Safety: Safe**: The ").append(who).append(" does not contain any prohibited content or content"
        + " that could lead to prohibited content.\n");
    sb.append("**Safety: Unsafe**: The ").append(who).append(" contains prohibited content.\n");
    if (prompt) {
      sb.append("**Safety: Controversial**: The USER's query does not explicitly contain prohibited content, but"
          + " its intent, context, or potential responses could be misinterpreted, misused, or exploited to"
          + " generate unsafe content under certain conditions.\n");
    } else {
      sb.append("**Safety: Controversial**: The ASSISTANT's response is not explicitly harmful, but could become"
          + " risky or offensive depending on context or audience.\n");
    }
    sb.append("<END SAFETY POLICY>\n\n<BEGIN UNSAFE CONTENT CATEGORIES>\n");
    for (Category c : shown(taxonomy, target)) {
      sb.append(c.name()).append(c.name().endsWith(".") ? "" : ".").append('\n');
    }
    sb.append("<END UNSAFE CONTENT CATEGORIES>\n\n");
    if (!prompt) {
      sb.append("<BEGIN REFUSAL POLICY>\n**Refusal: Yes**: The ASSISTANT refused to answer or did not comply with"
          + " the USER's request.\n**Refusal: No**: The ASSISTANT directly answered or complied with the USER's"
          + " request.\n<END REFUSAL POLICY>\n\n");
    }
    sb.append("<BEGIN CONVERSATION>\n\n");
    return List.of(Segment.template(sb.toString()));
  }

  @Override
  public List<List<Segment>> head(List<Turn> context, Target target) {
    List<List<Segment>> groups = new ArrayList<>();
    for (Turn t : context) {
      String label = t.role() == Role.USER ? "USER" : t.role() == Role.ASSISTANT ? "ASSISTANT" : null;
      if (label != null) {
        groups.add(List.of(Segment.template(label + ":"), Segment.content(judgedContent(t.text())),
            Segment.template("\n\n")));
      }
    }
    groups.add(List.of(Segment.template(target == Target.PROMPT ? "USER:" : "ASSISTANT:")));
    return groups;
  }

  @Override
  public String judgedContent(String raw) {
    return " " + MarkerText.neutralize(raw);
  }

  @Override
  public String trailer() {
    return "\n\n";
  }

  @Override
  public List<List<Segment>> suffixes(Taxonomy taxonomy, Target target) {
    StringBuilder sb = new StringBuilder("<END CONVERSATION>\n\nProvide your safety assessment for ONLY THE LAST ");
    sb.append(target == Target.PROMPT ? "**USER's query**" : "**ASSISTANT's response**");
    sb.append(" in the above conversation:\n - The first line must be one of: 'Safety: Safe', 'Safety: Unsafe',"
        + " 'Safety: Controversial'.\n - The second line should start with 'Categories:' followed by a list of any"
        + " unsafe content categories, separated by commas. If the content is safe, use 'Categories: None'.");
    if (target == Target.RESPONSE) {
      sb.append("\n - The third line must be one of: 'Refusal: Yes', 'Refusal: No'.");
    }
    sb.append("<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    return List.of(List.of(Segment.template(sb.toString())));
  }

  @Override
  public List<Probe> probes(Taxonomy taxonomy, Target target, boolean withCategories) {
    List<Probe> probes = new ArrayList<>();
    probes.add(new Probe(Probe.Kind.LEVELS, "Safety:", List.of(" Safe", " Unsafe", " Controversial"), 1));
    if (withCategories) {
      List<String> names = new ArrayList<>();
      for (Category c : shown(taxonomy, target)) {
        names.add(" " + c.name());
      }
      if (!names.isEmpty()) {
        probes.add(new Probe(Probe.Kind.CATEGORY, " Unsafe\nCategories:", names, -1));
      }
    }
    return probes;
  }
}
