package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.policy.Action;
import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Scores;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerdictBuilderTest {
  private static final Triggered BLOCK_S9 = new Triggered("S9", "Indiscriminate Weapons", 0.9, 0.5, Action.BLOCK);
  private static final Triggered FLAG_S6 = new Triggered("S6", "Specialized Advice", 0.8, 0.7, Action.FLAG);
  private static final Failure CLOSED = new Failure(Failure.Kind.TIMEOUT, "slow", FailureMode.CLOSED);
  private static final Failure OPEN = new Failure(Failure.Kind.TIMEOUT, "slow", FailureMode.OPEN);

  @Test
  void build_blockWithNeitherTriggerNorFailure_isRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Verdict.builder().decision(Decision.BLOCK).scores(Scores.of(0.9)).build());
    assertTrue(e.getMessage().contains("BLOCK has no cause"), e.getMessage());
  }

  @Test
  void build_flagWithoutTrigger_isRefused_evenWithAFailure() {
    assertThrows(IllegalStateException.class, () -> Verdict.builder().decision(Decision.FLAG).build());
    assertThrows(IllegalStateException.class, () -> Verdict.builder().decision(Decision.FLAG).failure(OPEN).build());
  }

  @Test
  void build_decisionMilderThanItsTriggeredRules_isRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Verdict.builder().decision(Decision.ALLOW).triggered(List.of(BLOCK_S9)).build());
    assertTrue(e.getMessage().contains("use decision(BLOCK)"), e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> Verdict.builder().decision(Decision.FLAG).triggered(List.of(FLAG_S6, BLOCK_S9)).build());
  }

  @Test
  void build_failClosedThatDoesNotBlock_isRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Verdict.builder().decision(Decision.ALLOW).failure(CLOSED).build());
    assertTrue(e.getMessage().contains("fail-closed blocks"), e.getMessage());
  }

  @Test
  void build_cachedWithoutScores_isRefused() {
    assertThrows(IllegalStateException.class, () -> Verdict.builder().decision(Decision.ALLOW).cached(true).build());
  }

  @Test
  void build_noDecision_isRefusedWithWhatToCall() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Verdict.builder().build());
    assertTrue(e.getMessage().contains("decision(ALLOW|FLAG|BLOCK)"), e.getMessage());
  }

  @Test
  void build_everyShapeTheGuardProduces_isAccepted() {
    assertEquals(Decision.BLOCK, Verdict.builder().decision(Decision.BLOCK).triggered(List.of(BLOCK_S9, FLAG_S6))
        .build().decision());
    assertEquals(Decision.FLAG, Verdict.builder().decision(Decision.FLAG).triggered(List.of(FLAG_S6)).build()
        .decision());
    assertEquals(Decision.BLOCK, Verdict.builder().decision(Decision.BLOCK).failure(CLOSED).build().decision());
    assertEquals(Decision.ALLOW, Verdict.builder().decision(Decision.ALLOW).failure(OPEN).build().decision());
    // the cut judged text under fail-closed: a FLAG rule fired, the failure raises it to BLOCK
    assertEquals(Decision.BLOCK, Verdict.builder().decision(Decision.BLOCK).triggered(List.of(FLAG_S6))
        .failure(CLOSED).build().decision());
    // ... and under fail-open it stays what fired
    assertEquals(Decision.FLAG, Verdict.builder().decision(Decision.FLAG).triggered(List.of(FLAG_S6))
        .failure(OPEN).build().decision());
    assertEquals(Decision.BLOCK, Verdict.builder().decision(Decision.BLOCK)
        .notes(List.of(Note.of(Note.Kind.RESPONSE_TOO_LONG, "9 chars > maxResponseChars 8"))).build().decision());
    assertEquals(Decision.ALLOW, Verdict.builder().decision(Decision.ALLOW).scores(Scores.of(0.1)).cached(true)
        .build().decision());
  }
}
