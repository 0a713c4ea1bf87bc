package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Role;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Llama Guard 3 and 4 prompts.
 *
 * <p>Llama Guard 3: the Hugging Face chat template of meta-llama/Llama-Guard-3-1B (variant [A] in
 * design/templates/llama-guard-3.txt: {@code "\n\n"} after the user header, message contents trimmed, role
 * labels "User"/"Agent", categories as {@code "S1: Violent Crimes."} for the default list, custom categories as
 * {@code "code: name. \ndescription"}, excluded categories simply left out of the taxonomy). Our one deliberate
 * reading: the reference shows {@code read'safe'}, a tokenizer-decode artefact; the template text is
 * {@code read 'safe'}.
 *
 * <p>Llama Guard 4: a RECONSTRUCTION, not a verbatim chat-template dump: the text of Meta's llama-stack
 * Llama Guard shield (the same body as Llama Guard 3) wrapped in Llama 4 chat tokens ({@code <|header_start|>},
 * {@code <|header_end|>}, {@code <|eot|>}); no space before {@code <|eot|>}. Verify against
 * {@code tokenizer.apply_chat_template} before relying on it.
 *
 * <p>Both templates end at the assistant header; the model first writes {@code "\n\n"}, then {@code safe} or
 * {@code unsafe}, then (if unsafe) {@code "\nS1,S10"}. The probes force {@code "\n\n"} and read safe/unsafe, then
 * force {@code "unsafe\nS"} and read the category number.
 */
final class LlamaGuardFormat implements PromptFormat {
  private static final Pattern S_CODE = Pattern.compile("S([1-9][0-9]*)");
  private static final Map<String, String> NATIVE_NAMES = new HashMap<>();

  static {
    for (Category c : Taxonomies.llamaGuard3().categories()) {
      NATIVE_NAMES.put(c.code(), c.name());
    }
  }

  private final GuardFamily family;
  private final boolean v3;

  LlamaGuardFormat(GuardFamily family) {
    if (family != GuardFamily.LLAMA_GUARD_3 && family != GuardFamily.LLAMA_GUARD_4) {
      throw new IllegalArgumentException("not a Llama Guard family: " + family);
    }
    this.family = family;
    this.v3 = family == GuardFamily.LLAMA_GUARD_3;
  }

  @Override
  public GuardFamily family() {
    return family;
  }

  @Override
  public List<String> requiredSpecialTokens() {
    return v3 ? List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
        : List.of("<|begin_of_text|>", "<|header_start|>", "<|header_end|>", "<|eot|>");
  }

  @Override
  public String bos() {
    return ""; // the template starts with <|begin_of_text|>
  }

  private String header(String role) {
    return v3 ? "<|start_header_id|>" + role + "<|end_header_id|>" : "<|header_start|>" + role + "<|header_end|>";
  }

  private static String agentType(Target target) {
    return target == Target.PROMPT ? "User" : "Agent";
  }

  @Override
  public List<Segment> prefix(Taxonomy taxonomy, Target target) {
    StringBuilder sb = new StringBuilder();
    sb.append("<|begin_of_text|>").append(header("user")).append("\n\n");
    sb.append("Task: Check if there is unsafe content in '").append(agentType(target))
        .append("' messages in conversations according our safety policy with the below categories.\n\n");
    sb.append("<BEGIN UNSAFE CONTENT CATEGORIES>\n");
    List<String> codes = displayCodes(taxonomy);
    for (int i = 0; i < taxonomy.size(); i++) {
      Category c = taxonomy.categories().get(i);
      sb.append(codes.get(i)).append(": ").append(categoryText(c)).append('\n');
    }
    sb.append("<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\n");
    return List.of(Segment.template(sb.toString()));
  }

  /**
   * The default categories show their name only ("Violent Crimes."), as the template's built-in list does;
   * any other category shows "name. \ndescription", as the template renders user-supplied categories.
   */
  static String categoryText(Category c) {
    String name = c.name().endsWith(".") ? c.name() : c.name() + ".";
    boolean nativeCategory = c.name().equals(NATIVE_NAMES.get(c.code()));
    if (nativeCategory || c.description().isBlank()) {
      return name;
    }
    return name + " \n" + c.description();
  }

  /**
   * The codes shown in the prompt: the taxonomy's own when they are all {@code S<n>} (the model answers with
   * them), otherwise {@code S1..Sk} in taxonomy order (mapped back to the taxonomy's codes in the scores).
   */
  static List<String> displayCodes(Taxonomy taxonomy) {
    boolean allS = true;
    for (String code : taxonomy.codes()) {
      allS &= S_CODE.matcher(code).matches();
    }
    if (allS) {
      return taxonomy.codes();
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < taxonomy.size(); i++) {
      out.add("S" + (i + 1));
    }
    return out;
  }

  @Override
  public List<List<Segment>> head(List<Turn> context, Target target) {
    List<List<Segment>> groups = new ArrayList<>();
    for (Turn t : context) {
      String label = label(t.role());
      if (label != null) {
        groups.add(List.of(Segment.template(label + ":"), Segment.content(judgedContent(t.text())),
            Segment.template("\n\n")));
      }
    }
    groups.add(List.of(Segment.template((target == Target.PROMPT ? "User" : "Agent") + ":")));
    return groups;
  }

  private static String label(Role role) {
    return switch (role) {
      case USER -> "User";
      case ASSISTANT -> "Agent";
      default -> null; // the template knows only user and assistant messages
    };
  }

  @Override
  public String judgedContent(String raw) {
    return " " + MarkerText.neutralize(raw.strip()); // template: role + ': ' + content | trim
  }

  @Override
  public String trailer() {
    return "\n\n";
  }

  @Override
  public List<List<Segment>> suffixes(Taxonomy taxonomy, Target target) {
    String s = "<END CONVERSATION>\n\nProvide your safety assessment for ONLY THE LAST " + agentType(target)
        + " message in the above conversation:\n - First line must read 'safe' or 'unsafe'.\n"
        + " - If unsafe, a second line must include a comma-separated list of violated categories."
        + (v3 ? " <|eot_id|>" : "<|eot|>") + header("assistant");
    return List.of(List.of(Segment.template(s)));
  }

  @Override
  public List<Probe> probes(Taxonomy taxonomy, Target target, boolean withCategories) {
    List<Probe> probes = new ArrayList<>();
    probes.add(new Probe(Probe.Kind.BINARY, "\n\n", List.of("safe", "unsafe"), 1));
    if (withCategories && taxonomy.size() > 0) {
      List<String> numbers = new ArrayList<>();
      for (String code : displayCodes(taxonomy)) {
        numbers.add(code.substring(1));
      }
      probes.add(new Probe(Probe.Kind.CATEGORY, "unsafe\nS", numbers, -1));
    }
    return probes;
  }
}
