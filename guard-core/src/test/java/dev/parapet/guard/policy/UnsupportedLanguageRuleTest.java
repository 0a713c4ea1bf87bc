package dev.parapet.guard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Decision;
import dev.parapet.guard.Note;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import org.junit.jupiter.api.Test;

class UnsupportedLanguageRuleTest {
  private static final Scores FOREIGN_LOW =
      Scores.builder().unsafe(0.1).note(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "es")).build();
  private static final Scores FOREIGN_HIGH =
      Scores.builder().unsafe(0.9).note(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "es")).build();

  @Test
  void parse_unsupportedLanguage_defaultsToFlag_andRoundTrips() {
    assertEquals(Action.FLAG, Policy.defaults().unsupportedLanguage());
    Policy p = PolicySpec.parse("default=block@0.5, unsupported-language=block");
    assertEquals(Action.BLOCK, p.unsupportedLanguage());
    assertEquals(p, PolicySpec.parse(p.toSpec()));
    assertEquals(Action.ALLOW, PolicySpec.parse("unsupported-language=allow").unsupportedLanguage());
  }

  @Test
  void parse_badValue_namesTheKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicySpec.parse("unsupported-language=maybe"));
    assertTrue(e.getMessage().contains("unsupported-language"), e.getMessage());
    assertTrue(e.getMessage().contains("flag"), e.getMessage());
  }

  @Test
  void decide_unsupportedLanguage_raisesButNeverLowers() {
    var tax = Taxonomies.llamaGuard3();
    assertEquals(Decision.FLAG, Decision.of(Policy.defaults().decide(FOREIGN_LOW, tax)));
    assertEquals(Decision.BLOCK, Decision.of(PolicySpec.parse("unsupported-language=block").decide(FOREIGN_LOW, tax)));
    assertEquals(Decision.ALLOW, Decision.of(PolicySpec.parse("unsupported-language=allow").decide(FOREIGN_LOW, tax)));
    assertEquals(Decision.BLOCK, Decision.of(PolicySpec.parse("unsupported-language=allow").decide(FOREIGN_HIGH, tax)));
    assertEquals(Decision.BLOCK, Decision.of(Policy.defaults().decide(FOREIGN_HIGH, tax)));
    assertEquals(Decision.ALLOW, Decision.of(Policy.defaults().decide(Scores.of(0.1), tax)));
  }

  @Test
  void decide_tokenPoorScores_triggerNothing() {
    Scores s = Scores.builder().unsafe(0.95).note(Note.of(Note.Kind.TOKEN_POOR, "no word to judge")).build();
    assertEquals(Decision.ALLOW, Decision.of(Policy.defaults().decide(s, Taxonomies.llamaGuard3())));
  }
}
