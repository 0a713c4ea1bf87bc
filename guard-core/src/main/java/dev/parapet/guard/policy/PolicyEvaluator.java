package dev.parapet.guard.policy;

import dev.parapet.guard.Decision;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decision semantics documented on {@link Policy}. Stateless, so thread-safe.
 */
final class PolicyEvaluator {
  /** Code used in {@link Triggered} when a classifier without category scores trips the default rule. */
  static final String OVERALL_CODE = "unsafe";

  static final String OVERALL_NAME = "Unsafe (overall score)";

  /** Code used in {@link Triggered} for the unsupported-language rule. */
  static final String LANGUAGE_CODE = "language";

  private PolicyEvaluator() {}

  static double effectiveUnsafe(Policy policy, Scores scores) {
    double p = scores.unsafe();
    if (policy.severityMode() == SeverityMode.STRICT && scores.controversial().isPresent()) {
      p += scores.controversial().getAsDouble();
    }
    return Math.min(1.0, p);
  }

  /** Triggered rules, most severe action first, then highest score, then taxonomy order. */
  static List<Triggered> triggered(Policy policy, Scores scores, Taxonomy taxonomy) {
    if (scores.tokenPoor()) {
      return List.of(); // step 5: nothing the model could read
    }
    List<Triggered> byScores = byScores(policy, scores, taxonomy);
    if (policy.unsupportedLanguage() == Action.ALLOW || !scores.languageUnsupported()) {
      return byScores;
    }
    // step 6: score 1 against threshold 1 (the rule always fires); listed after the scores' rules of equal action
    List<Triggered> out = new ArrayList<>(byScores);
    Triggered lang = new Triggered(LANGUAGE_CODE, "Unsupported language", 1.0, 1.0, policy.unsupportedLanguage());
    int at = 0;
    while (at < out.size() && out.get(at).action().compareTo(lang.action()) >= 0) {
      at++;
    }
    out.add(at, lang);
    return List.copyOf(out);
  }

  private static List<Triggered> byScores(Policy policy, Scores scores, Taxonomy taxonomy) {
    double unsafe = effectiveUnsafe(policy, scores);
    Map<String, Double> cats = scores.categories();
    if (cats.isEmpty()) {
      // Rule 4: no category scores: the default rule judges P(unsafe) alone.
      Rule rule = policy.defaultRule();
      return rule.triggers(unsafe)
          ? List.of(new Triggered(OVERALL_CODE, OVERALL_NAME, unsafe, rule.threshold(), rule.action()))
          : List.of();
    }
    // LinkedHashMap keeps the order the classifier reported (the taxonomy's), used as the last tie-break.
    Map<String, Triggered> fired = new LinkedHashMap<>();
    String top = null;
    double topScore = -1;
    for (Map.Entry<String, Double> e : cats.entrySet()) {
      String code = e.getKey();
      double score = e.getValue();
      Rule rule = policy.ruleFor(code);
      if (rule.isOff()) {
        continue;
      }
      if (score > topScore) {
        topScore = score;
        top = code;
      }
      if (rule.triggers(score)) {
        fired.put(code, new Triggered(code, nameOf(taxonomy, code), score, rule.threshold(), rule.action()));
      }
    }
    if (top != null) {
      // Rule 3: attribute the overall P(unsafe) to the most likely category that is not off.
      Rule rule = policy.ruleFor(top);
      if (rule.triggers(unsafe)) {
        Triggered before = fired.get(top);
        if (before == null || before.score() < unsafe) {
          fired.put(top, new Triggered(top, nameOf(taxonomy, top), unsafe, rule.threshold(), rule.action()));
        }
      }
    }
    List<Triggered> out = new ArrayList<>(fired.values());
    List<String> order = new ArrayList<>(fired.keySet());
    out.sort(Comparator.comparing(Triggered::action).reversed()
        .thenComparing(Comparator.comparingDouble(Triggered::score).reversed())
        .thenComparingInt(t -> order.indexOf(t.code())));
    return List.copyOf(out);
  }

  static Action mostSevere(List<Triggered> triggered) {
    Action most = Action.ALLOW;
    for (Triggered t : triggered) {
      if (t.action().compareTo(most) > 0) {
        most = t.action();
      }
    }
    return most;
  }

  private static String nameOf(Taxonomy taxonomy, String code) {
    return taxonomy.category(code).map(Category::name).orElse(code);
  }
}
