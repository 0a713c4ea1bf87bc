package dev.parapet.guard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Decision;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decision steps documented on {@link Policy}. */
class PolicyDecisionTest {
  private static final Taxonomy LG3 = Taxonomies.llamaGuard3();

  private static List<String> codes(List<Triggered> t) {
    return t.stream().map(Triggered::code).toList();
  }

  @Test
  void decide_allScoresBelowThresholds_allows() {
    Scores s = Scores.builder().unsafe(0.2).category("S1", 0.1).category("S2", 0.1).build();
    assertEquals(Decision.ALLOW, Decision.of(Policy.defaults().decide(s, LG3)));
    assertEquals(List.of(), Policy.defaults().triggered(s, LG3));
  }

  @Test
  void decide_categoryAtThreshold_triggersItsRule() {
    Scores s = Scores.builder().unsafe(0.2).category("S1", 0.5).build();
    List<Triggered> t = Policy.defaults().triggered(s, LG3);
    assertEquals(List.of("S1"), codes(t));
    assertEquals("Violent Crimes", t.get(0).name());
    assertEquals(0.5, t.get(0).threshold());
    assertEquals(Decision.BLOCK, Decision.of(Policy.defaults().decide(s, LG3)));
  }

  @Test
  void decide_unsafeSplitOverCategories_attributesOverallToTopCategory() {
    // Neither category reaches 0.5, but P(unsafe) = 0.8 does: it is attributed to the most likely one, S2.
    Scores s = Scores.builder().unsafe(0.8).category("S1", 0.35).category("S2", 0.45).build();
    List<Triggered> t = Policy.defaults().triggered(s, LG3);
    assertEquals(List.of("S2"), codes(t));
    assertEquals(0.8, t.get(0).score(), 1e-12);
  }

  @Test
  void decide_attributionSkipsOffCategories() {
    Policy p = PolicySpec.parse("S2=off");
    Scores s = Scores.builder().unsafe(0.8).category("S1", 0.35).category("S2", 0.45).build();
    assertEquals(List.of("S1"), codes(p.triggered(s, LG3)));
  }

  @Test
  void decide_attributionUsesTheTopCategorysOwnThreshold() {
    Policy p = PolicySpec.parse("S2=flag@0.9");
    Scores s = Scores.builder().unsafe(0.8).category("S1", 0.35).category("S2", 0.45).build();
    assertEquals(Decision.ALLOW, Decision.of(p.decide(s, LG3))); // 0.8 < S2's 0.9; S1 is not the top category
  }

  @Test
  void decide_noCategoryScores_usesDefaultRuleOnUnsafe() {
    assertEquals(Decision.BLOCK, Decision.of(Policy.defaults().decide(Scores.of(0.7), LG3)));
    assertEquals(Decision.ALLOW, Decision.of(Policy.defaults().decide(Scores.of(0.3), LG3)));
    List<Triggered> t = Policy.defaults().triggered(Scores.of(0.7), LG3);
    assertEquals("unsafe", t.get(0).code());
    assertEquals(Decision.FLAG, Decision.of(PolicySpec.parse("default=flag@0.6").decide(Scores.of(0.7), LG3)));
    assertEquals(Decision.ALLOW, Decision.of(PolicySpec.parse("default=off").decide(Scores.of(0.99), LG3)));
  }

  @Test
  void decide_strictSeverity_countsControversialAsUnsafe() {
    Scores s = Scores.builder().unsafe(0.3).controversial(0.3).build();
    assertEquals(Decision.BLOCK, Decision.of(Policy.defaults().decide(s, LG3)));
    assertEquals(0.6, Policy.defaults().effectiveUnsafe(s), 1e-12);
    Policy loose = PolicySpec.parse("severity=loose");
    assertEquals(Decision.ALLOW, Decision.of(loose.decide(s, LG3)));
    assertEquals(0.3, loose.effectiveUnsafe(s), 1e-12);
  }

  @Test
  void decide_mostSevereActionWins_andTriggeredIsMostSevereFirst() {
    Policy p = PolicySpec.parse("default=block@0.5, S6=flag@0.3, S10=block@0.4");
    Scores s = Scores.builder().unsafe(0.6).category("S6", 0.55).category("S10", 0.45).build();
    List<Triggered> t = p.triggered(s, LG3);
    // S6 is top (0.55): its own score and the attributed 0.6 both flag; S10 blocks at 0.45.
    assertEquals(List.of("S10", "S6"), codes(t));
    assertEquals(Action.BLOCK, t.get(0).action());
    assertEquals(0.6, t.get(1).score(), 1e-12);
    assertEquals(Decision.BLOCK, Decision.of(p.decide(s, LG3)));
  }

  @Test
  void decide_onlyFlagRulesFire_flags() {
    Policy p = PolicySpec.parse("S6=flag@0.3");
    Scores s = Scores.builder().unsafe(0.4).category("S6", 0.35).build();
    assertEquals(Decision.FLAG, Decision.of(p.decide(s, LG3)));
  }

  @Test
  void decide_sameActionOrderedByScore() {
    Scores s = Scores.builder().unsafe(0.9).category("S1", 0.6).category("S2", 0.7).category("S3", 0.65).build();
    List<Triggered> t = Policy.defaults().triggered(s, LG3);
    assertEquals(List.of("S2", "S3", "S1"), codes(t));
    assertEquals(0.9, t.get(0).score(), 1e-12); // S2 got the attributed overall score
  }

  @Test
  void decide_offCategoryWithHighScore_neverTriggers() {
    Policy p = PolicySpec.parse("S1=off");
    Scores s = Scores.builder().unsafe(0.95).category("S1", 0.95).category("S2", 0.01).build();
    List<Triggered> t = p.triggered(s, LG3);
    // S1 is off; the overall score goes to the top remaining category (S2) and blocks there.
    assertEquals(List.of("S2"), codes(t));
    assertTrue(t.stream().noneMatch(x -> x.code().equals("S1")));
  }

  @Test
  void decide_codeOutsideTaxonomy_judgedByDefaultAndNamedByCode() {
    Scores s = Scores.builder().unsafe(0.9).category("Z9", 0.9).build();
    List<Triggered> t = Policy.defaults().triggered(s, LG3);
    assertEquals("Z9", t.get(0).name());
  }
}
