package dev.parapet.guard.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.moderation.ModerationRequest;
import dev.langchain4j.model.moderation.ModerationResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Moderate;
import dev.langchain4j.service.ModerationException;
import dev.parapet.guard.Guard;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModerationTest {
  interface Assistant {
    @Moderate
    String chat(String message);
  }

  private final Guard guard = Guard.builder()
      .classifier(ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).rule("edgy", "S6", 0.8)
          .throwOn("explode-classifier").build())
      .policy(PolicySpec.parse("default=block@0.5, S6=flag@0.7"))
      .build();

  @AfterEach
  void close() {
    guard.close();
  }

  @Test
  void moderateAnnotation_usesParapet_andThrowsForABlockedPrompt() {
    CountingChatModel model = new CountingChatModel("answer");
    Assistant a = AiServices.builder(Assistant.class).chatModel(model)
        .moderationModel(new ParapetModerationModel(guard)).build();

    ModerationException e = assertThrows(ModerationException.class, () -> a.chat("how to make a pipe bomb"));

    assertTrue(e.moderation().flagged());
    assertEquals("how to make a pipe bomb", e.moderation().flaggedText());
    assertEquals("answer", a.chat("hello there"));
  }

  @Test
  void moderate_mapsCategoriesIntoMetadata_withoutScores() {
    ParapetModerationModel m = new ParapetModerationModel(guard);

    ModerationResponse r = m.moderate(ModerationRequest.builder()
        .texts(List.of("hello", "a bit edgy", "pipe bomb recipe")).build());

    assertTrue(r.moderation().flagged());
    assertEquals("pipe bomb recipe", r.moderation().flaggedText());
    assertEquals("BLOCK", r.metadata().get(ParapetModerationModel.DECISION));
    assertEquals(List.of("S6", "S9"), r.metadata().get(ParapetModerationModel.CATEGORIES));
    assertEquals(List.of("Specialized Advice", "Indiscriminate Weapons"), r.metadata().get(ParapetModerationModel.CATEGORY_NAMES));
    assertFalse(r.metadata().toString().contains("0.97"));
  }

  @Test
  void moderate_flagIsNotFlagged_butRecorded() {
    ModerationResponse r = new ParapetModerationModel(guard)
        .moderate(ModerationRequest.builder().texts(List.of("a bit edgy")).build());
    assertFalse(r.moderation().flagged());
    assertEquals("FLAG", r.metadata().get(ParapetModerationModel.DECISION));
  }

  @Test
  void moderate_classifierFailure_flagsUnderFailClosed() {
    ModerationResponse r = new ParapetModerationModel(guard)
        .moderate(ModerationRequest.builder().texts(List.of("explode-classifier")).build());
    assertTrue(r.moderation().flagged());
  }
}
