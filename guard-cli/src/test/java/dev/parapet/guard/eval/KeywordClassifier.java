package dev.parapet.guard.eval;

import dev.parapet.guard.Decision;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.Action;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deterministic fake classifier for tests: P(unsafe) and category scores come from keywords in the judged
 * turn (bomb 0.97/S9, explosive 0.95/S9, poison 0.9/S1, steal 0.7/S2, kill 0.6/S1, hurt 0.3/S1), else 0.05.
 */
public final class KeywordClassifier implements Classifier {
  private static final Map<String, Object[]> RULES = new LinkedHashMap<>();

  static {
    RULES.put("explosive", new Object[] {0.95, "S9"});
    RULES.put("bomb", new Object[] {0.97, "S9"});
    RULES.put("poison", new Object[] {0.9, "S1"});
    RULES.put("steal", new Object[] {0.7, "S2"});
    RULES.put("kill", new Object[] {0.6, "S1"});
    RULES.put("hurt", new Object[] {0.3, "S1"});
  }

  private final Taxonomy taxonomy = Taxonomies.llamaGuard3();

  @Override
  public ClassifierInfo info() {
    return new ClassifierInfo("keyword-fake", taxonomy,
        ClassifierInfo.capabilities(Capability.PROMPT, Capability.RESPONSE, Capability.CATEGORY_SCORES), 4096,
        "none");
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    return score(request.conversation().last().text(), request.taxonomy());
  }

  /** The scores for a text against a taxonomy. */
  public static Scores score(String text, Taxonomy taxonomy) {
    String t = text.toLowerCase(Locale.ROOT);
    double unsafe = 0.05;
    Map<String, Double> cats = new LinkedHashMap<>();
    for (String code : taxonomy.codes()) {
      cats.put(code, 0.01);
    }
    for (Map.Entry<String, Object[]> e : RULES.entrySet()) {
      if (t.contains(e.getKey())) {
        double p = (Double) e.getValue()[0];
        String code = (String) e.getValue()[1];
        unsafe = Math.max(unsafe, p);
        if (cats.containsKey(code)) {
          cats.put(code, Math.max(cats.get(code), p * 0.9));
        }
      }
    }
    return Scores.builder().unsafe(unsafe).categories(cats).build();
  }

  /** A verdict for a text as a block@threshold policy would decide it, with a made-up latency. */
  public static Verdict verdict(String text, double threshold, long latencyMicros) {
    Scores s = score(text, Taxonomies.llamaGuard3());
    boolean blocked = s.unsafe() >= threshold;
    // A consistent verdict: a BLOCK names the rule that fired (Verdict.builder() refuses one without a cause).
    List<Triggered> fired = blocked
        ? List.of(new Triggered("unsafe", "Unsafe (overall score)", s.unsafe(), threshold, Action.BLOCK))
        : List.of();
    return Verdict.builder().decision(blocked ? Decision.BLOCK : Decision.ALLOW).scores(s).triggered(fired)
        .classifierId("keyword-fake").taxonomyHash("test").latency(Duration.ofNanos(latencyMicros * 1000))
        .build();
  }
}
