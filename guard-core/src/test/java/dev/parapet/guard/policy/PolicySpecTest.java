package dev.parapet.guard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicySpecTest {

  @Test
  void parse_fullSpec_readsEveryKey() {
    Policy p = PolicySpec.parse("default=block@0.4, S6=flag@0.7, S14=off, severity=loose, onError=open");
    assertEquals(Rule.block(0.4), p.defaultRule());
    assertEquals(Rule.flag(0.7), p.ruleFor("S6"));
    assertTrue(p.ruleFor("S14").isOff());
    assertEquals(Rule.block(0.4), p.ruleFor("S1"));
    assertEquals(SeverityMode.LOOSE, p.severityMode());
    assertEquals(FailureMode.OPEN, p.failureMode());
  }

  @Test
  void parse_blank_givesDefaults() {
    assertEquals(Policy.defaults(), PolicySpec.parse("  "));
    assertEquals(Rule.block(0.5), Policy.defaults().defaultRule());
    assertEquals(SeverityMode.STRICT, Policy.defaults().severityMode());
    assertEquals(FailureMode.CLOSED, Policy.defaults().failureMode());
  }

  @Test
  void parse_actionWithoutThreshold_uses0point5() {
    assertEquals(Rule.flag(0.5), PolicySpec.parse("S1=flag").ruleFor("S1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"default=block@0.5", "default=flag@0.25, S1=block@0.4, S2=off",
      "default=off, S9=block@0.1, severity=loose", "default=block@1, onError=open", "default=block@0"})
  void toSpec_parse_roundTrips(String spec) {
    Policy p = PolicySpec.parse(spec);
    assertEquals(p, PolicySpec.parse(p.toSpec()));
    assertEquals(spec, p.toSpec());
  }

  @Test
  void parse_unknownSeverity_listsAllowedValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicySpec.parse("severity=medium"));
    assertTrue(e.getMessage().contains("'severity'") && e.getMessage().contains("strict, loose"), e.getMessage());
  }

  @Test
  void parse_thresholdOutOfRange_namesKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicySpec.parse("S1=block@1.5"));
    assertTrue(e.getMessage().contains("'S1'") && e.getMessage().contains("[0, 1]"), e.getMessage());
  }

  @Test
  void parse_thresholdNotANumber_namesKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicySpec.parse("S1=block@high"));
    assertTrue(e.getMessage().contains("'high'"), e.getMessage());
  }

  @Test
  void parse_unknownAction_listsActions() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicySpec.parse("S1=deny"));
    assertTrue(e.getMessage().contains("off, allow, flag"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"S1=block,,S2=flag", "S1", "=block", "S1=block, S1=flag", "1x=block", "default"})
  void parse_malformed_throwsIllegalArgument(String spec) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicySpec.parse(spec));
    assertFalse(e.getMessage().isBlank());
  }

  @Test
  void parse_duplicateKey_namesIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicySpec.parse("S1=block, S1=flag"));
    assertTrue(e.getMessage().contains("'S1' is given twice"), e.getMessage());
  }

  @Test
  void parse_null_throwsNpeNamingSpec() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> PolicySpec.parse(null));
    assertEquals("spec", e.getMessage());
  }

  @Test
  void validateAgainst_unknownCode_namesCodeAndListsTaxonomyCodes() {
    Policy p = PolicySpec.parse("S15=block");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.validateAgainst(Taxonomies.llamaGuard3()));
    assertTrue(e.getMessage().contains("'S15'") && e.getMessage().contains("S14"), e.getMessage());
  }

  @Test
  void effectiveTaxonomy_removesOffCategories() {
    Taxonomy t = PolicySpec.parse("S14=off, S2=off").effectiveTaxonomy(Taxonomies.llamaGuard3());
    assertEquals(12, t.size());
    assertFalse(t.contains("S14"));
    assertFalse(t.contains("S2"));
    assertEquals(Taxonomies.llamaGuard3(), Policy.defaults().effectiveTaxonomy(Taxonomies.llamaGuard3()));
  }

  @Test
  void builder_rejectsDefaultAsCategoryCode() {
    assertThrows(IllegalArgumentException.class, () -> Policy.builder().rule("default", Rule.block(0.5)));
  }

  @Test
  void offCodes_listsOnlyOffRules() {
    assertEquals(List.of("S2"), List.copyOf(PolicySpec.parse("S1=flag, S2=off").offCodes()));
  }
}
