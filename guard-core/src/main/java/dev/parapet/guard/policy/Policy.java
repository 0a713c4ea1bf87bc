package dev.parapet.guard.policy;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-category rules that turn scores into a decision. Immutable and thread-safe.
 *
 * <p>How a decision is made from {@code Scores} (documented, tested):
 *
 * <ol>
 *   <li>The effective P(unsafe) is {@code unsafe}, plus {@code controversial} in {@link SeverityMode#STRICT}
 *       mode.
 *   <li>A category triggers when its score reaches its rule's threshold (its own rule, else the default).
 *   <li>The overall P(unsafe) is attributed to the most likely category that is not off: it triggers that
 *       category's rule when P(unsafe) reaches the rule's threshold. This keeps a guard whose probability
 *       mass is split over two categories from slipping under every threshold.
 *   <li>A classifier without category scores is judged by the default rule on P(unsafe) alone.
 *   <li>Scores noted token-poor ({@link dev.parapet.guard.spi.Scores#tokenPoor()}: a prompt with no word to
 *       judge, or a courtesy phrase alone) trigger nothing: the model cannot read such text, and its scores for it
 *       are noise.
 *   <li>Scores noted with an unsupported language ({@link dev.parapet.guard.spi.Scores#languageUnsupported()}: an
 *       English-only model judged other text) also trigger {@link #unsupportedLanguage()}, code
 *       {@code "language"}: FLAG by default. It only adds a rule, so it never lowers what the scores decided.
 *   <li>The decision is the most severe action among triggered rules; ALLOW when none triggers.
 * </ol>
 *
 * <p>Categories whose rule is {@code off} are removed from the taxonomy given to the classifier (see
 * {@link #effectiveTaxonomy(Taxonomy)}), which is what Llama Guard's excluded categories do.
 *
 * <pre>{@code
 * Policy p = PolicySpec.parse("default=block@0.5, S6=flag@0.7, S14=off");
 * }</pre>
 */
public final class Policy {
  private static final Policy DEFAULT = builder().build();

  private final Rule defaultRule;
  private final Map<String, Rule> rules;
  private final SeverityMode severityMode;
  private final FailureMode failureMode;
  private final Action unsupportedLanguage;

  private Policy(Builder b) {
    this.defaultRule = b.defaultRule;
    this.rules = Collections.unmodifiableMap(new LinkedHashMap<>(b.rules));
    this.severityMode = b.severityMode;
    this.failureMode = b.failureMode;
    this.unsupportedLanguage = b.unsupportedLanguage;
  }

  /** {@code default=block@0.5}, strict, fail closed. */
  public static Policy defaults() {
    return DEFAULT;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.defaultRule = defaultRule;
    b.rules.putAll(rules);
    b.severityMode = severityMode;
    b.failureMode = failureMode;
    b.unsupportedLanguage = unsupportedLanguage;
    return b;
  }

  public Rule defaultRule() {
    return defaultRule;
  }

  /** Explicit per-category rules, in the order they were given. */
  public Map<String, Rule> rules() {
    return rules;
  }

  /** The rule for a category: its own, else the default. */
  public Rule ruleFor(String code) {
    return rules.getOrDefault(requireNonNull(code, "code"), defaultRule);
  }

  public SeverityMode severityMode() {
    return severityMode;
  }

  public FailureMode failureMode() {
    return failureMode;
  }

  /**
   * What a verdict gets when a classifier that declares its languages judged text in another one
   * ({@code unsupported-language} in a spec): FLAG by default, BLOCK, or ALLOW (the note only).
   */
  public Action unsupportedLanguage() {
    return unsupportedLanguage;
  }

  /** Codes whose rule is off. */
  public Set<String> offCodes() {
    Set<String> off = new java.util.LinkedHashSet<>();
    rules.forEach((code, rule) -> {
      if (rule.isOff()) {
        off.add(code);
      }
    });
    return off;
  }

  /**
   * The taxonomy a classifier should see under this policy: {@code taxonomy} without the categories that are
   * off (codes the taxonomy does not have are ignored here; {@link #validateAgainst} reports them).
   */
  public Taxonomy effectiveTaxonomy(Taxonomy taxonomy) {
    requireNonNull(taxonomy, "taxonomy");
    List<String> drop = new ArrayList<>();
    for (String code : offCodes()) {
      if (taxonomy.contains(code)) {
        drop.add(code);
      }
    }
    return drop.isEmpty() ? taxonomy : taxonomy.without(drop.toArray(String[]::new));
  }

  /**
   * Checks that every rule names a category of {@code taxonomy}.
   *
   * @throws IllegalArgumentException naming the unknown code and listing the taxonomy's codes
   */
  public void validateAgainst(Taxonomy taxonomy) {
    requireNonNull(taxonomy, "taxonomy");
    for (String code : rules.keySet()) {
      if (!taxonomy.contains(code)) {
        throw new IllegalArgumentException("policy rule '" + code + "' names no category of taxonomy "
            + taxonomy.name() + "; its codes are " + taxonomy.codes());
      }
    }
  }

  /**
   * The rules that fire for {@code scores}, most severe action first (then highest score, then taxonomy order),
   * following the steps in the class comment. When the scores have no category scores and the default rule
   * fires, the single entry has code {@code "unsafe"} and name {@code "Unsafe (overall score)"}.
   *
   * @param scores the classifier's scores
   * @param taxonomy the taxonomy the scores refer to (for category names; codes it lacks are named by code)
   */
  public java.util.List<Triggered> triggered(
      dev.parapet.guard.spi.Scores scores, Taxonomy taxonomy) {
    requireNonNull(scores, "scores");
    requireNonNull(taxonomy, "taxonomy");
    return PolicyEvaluator.triggered(this, scores, taxonomy);
  }

  /**
   * The most severe action among {@link #triggered} for {@code scores}, ALLOW when none fired. The verdict's
   * decision is {@code Decision.of(decide(scores, taxonomy))} (the mapping lives beside {@code Decision}, so this
   * package never depends on the guard's).
   */
  public Action decide(dev.parapet.guard.spi.Scores scores, Taxonomy taxonomy) {
    return PolicyEvaluator.mostSevere(triggered(scores, taxonomy));
  }

  /** The effective P(unsafe): unsafe, plus controversial in STRICT mode (capped at 1). */
  public double effectiveUnsafe(dev.parapet.guard.spi.Scores scores) {
    return PolicyEvaluator.effectiveUnsafe(this, requireNonNull(scores, "scores"));
  }

  /** Spec string that {@link PolicySpec#parse} reads back to an equal policy. */
  public String toSpec() {
    return PolicySpec.format(this);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Policy p && p.defaultRule.equals(defaultRule) && p.rules.equals(rules)
        && p.severityMode == severityMode && p.failureMode == failureMode
        && p.unsupportedLanguage == unsupportedLanguage;
  }

  @Override
  public int hashCode() {
    return defaultRule.hashCode() * 31 + rules.hashCode();
  }

  @Override
  public String toString() {
    return "Policy[" + toSpec() + "]";
  }

  /** Builds a {@link Policy}; setters check at once. Not thread-safe; reusable. */
  public static final class Builder {
    private Rule defaultRule = Rule.block(0.5);
    private final Map<String, Rule> rules = new LinkedHashMap<>();
    private SeverityMode severityMode = SeverityMode.STRICT;
    private FailureMode failureMode = FailureMode.CLOSED;
    private Action unsupportedLanguage = Action.FLAG;

    private Builder() {}

    public Builder defaultRule(Rule rule) {
      this.defaultRule = requireNonNull(rule, "rule");
      return this;
    }

    public Builder rule(String code, Rule rule) {
      requireNonNull(code, "code");
      requireNonNull(rule, "rule");
      if (code.equals("default")) {
        throw new IllegalArgumentException("use defaultRule(...) for the default rule");
      }
      if (!code.matches("[A-Za-z][A-Za-z0-9_-]{0,31}")) {
        throw new IllegalArgumentException("not a category code: '" + code + "'");
      }
      rules.put(code, rule);
      return this;
    }

    public Builder off(String code) {
      return rule(code, Rule.OFF);
    }

    public Builder severityMode(SeverityMode mode) {
      this.severityMode = requireNonNull(mode, "mode");
      return this;
    }

    public Builder failureMode(FailureMode mode) {
      this.failureMode = requireNonNull(mode, "mode");
      return this;
    }

    /** What text in a language the classifier does not declare gets: FLAG (default), BLOCK or ALLOW. */
    public Builder unsupportedLanguage(Action action) {
      this.unsupportedLanguage = requireNonNull(action, "action");
      return this;
    }

    public Policy build() {
      return new Policy(this);
    }
  }
}
