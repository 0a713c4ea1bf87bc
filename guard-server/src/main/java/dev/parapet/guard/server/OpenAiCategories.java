package dev.parapet.guard.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Decision;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps Parapet's S-codes onto OpenAI's moderation categories (the table is in guard-server/README.md). The
 * mapping applies to taxonomies that share Llama Guard 3's S1-S14 meanings ({@code llama-guard-3},
 * {@code llama-guard-3-1b}, {@code ailuminate-1.0}); for any other taxonomy every OpenAI category is false / 0
 * and the {@code parapet} object carries the verdict. A score is the highest score of the S-codes mapped to it;
 * a category is true when one of its S-codes triggered the policy. Stateless, thread-safe.
 */
final class OpenAiCategories {
  /** OpenAI's omni-moderation categories, in the API reference's order. */
  static final List<String> NAMES = List.of("harassment", "harassment/threatening", "hate", "hate/threatening",
      "illicit", "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
      "sexual/minors", "violence", "violence/graphic");

  /** S-code to OpenAI categories; codes absent here (S5-S8, S13, S14) have no OpenAI counterpart. */
  static final Map<String, List<String>> MAPPING = Map.ofEntries(
      Map.entry("S1", List.of("violence", "illicit/violent")),
      Map.entry("S2", List.of("illicit")),
      Map.entry("S3", List.of("sexual", "illicit")),
      Map.entry("S4", List.of("sexual/minors")),
      Map.entry("S9", List.of("illicit/violent", "violence")),
      Map.entry("S10", List.of("hate", "harassment")),
      Map.entry("S11", List.of("self-harm", "self-harm/intent", "self-harm/instructions")),
      Map.entry("S12", List.of("sexual")));

  private static final Set<String> S_CODE_TAXONOMIES = Set.of("llama-guard-3", "llama-guard-3-1b", "ailuminate-1.0");

  private OpenAiCategories() {}

  static boolean applies(Taxonomy taxonomy) {
    return S_CODE_TAXONOMIES.contains(taxonomy.name());
  }

  /** One {@code results[i]} object for a verdict. */
  static ObjectNode result(ObjectNode out, Verdict v, Taxonomy taxonomy, String policySpec) {
    boolean mapped = applies(taxonomy);
    Map<String, Double> scores = new LinkedHashMap<>();
    Map<String, Boolean> flags = new LinkedHashMap<>();
    for (String name : NAMES) {
      scores.put(name, 0.0);
      flags.put(name, false);
    }
    if (mapped) {
      v.scores().ifPresent(s -> s.categories().forEach((code, p) -> {
        for (String name : MAPPING.getOrDefault(code, List.of())) {
          scores.merge(name, p, Math::max);
        }
      }));
      for (Triggered t : v.triggered()) {
        if (t.action() != dev.parapet.guard.policy.Action.ALLOW) {
          for (String name : MAPPING.getOrDefault(t.code(), List.of())) {
            flags.put(name, true);
          }
        }
      }
    }
    out.put("flagged", v.decision() != Decision.ALLOW);
    ObjectNode cats = out.putObject("categories");
    flags.forEach(cats::put);
    ObjectNode cs = out.putObject("category_scores");
    scores.forEach(cs::put);
    ObjectNode types = out.putObject("category_applied_input_types");
    for (String name : NAMES) {
      types.putArray(name).add("text");
    }
    ObjectNode p = out.putObject("parapet");
    p.put("decision", v.decision().name());
    ArrayNode codes = p.putArray("categories");
    v.triggered().forEach(t -> codes.add(t.code()));
    p.put("unsafe", v.unsafeScore());
    ObjectNode sc = p.putObject("category_scores");
    v.scores().ifPresent(s -> s.categories().forEach(sc::put));
    p.put("policy", policySpec);
    p.put("taxonomy", taxonomy.name());
    p.put("model", v.classifierId());
    p.put("openai_mapping", mapped);
    v.failure().ifPresent(f -> {
      ObjectNode fn = p.putObject("failure");
      fn.put("kind", f.kind().name());
      fn.put("message", f.message());
      fn.put("appliedMode", f.appliedMode().name());
    });
    ArrayNode notes = p.putArray("notes");
    v.notes().forEach(n -> notes.add(n.toString())); // the wire form, as in Verdict.toJson()
    return out;
  }
}
