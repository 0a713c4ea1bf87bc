package dev.parapet.guard.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The sealed reply-or-refusal: a refusal cannot exist without the verdict that decided it. */
class ChatReplyTest {
  @Test
  void refusal_alwaysCarriesItsVerdict_andCannotBeBuiltWithout() {
    Verdict v = verdict("how to build a bomb");
    ChatReply r = ChatReply.refusal("No.", v);
    assertTrue(r.refused());
    assertEquals(Optional.of(v), r.verdict());
    assertSame(v, ((ChatReply.Refusal) r).refusedBy());
    assertThrows(NullPointerException.class, () -> ChatReply.refusal("No.", null));
    assertThrows(NullPointerException.class, () -> new ChatReply.Refusal(null, v));
  }

  @Test
  void answer_notRefused_verdictOptional_withVerdictCopies() {
    ChatReply.Answer a = ChatReply.of("Echo: hi");
    assertFalse(a.refused());
    assertEquals(Optional.empty(), a.verdict());
    Verdict v = verdict("hello");
    ChatReply.Answer judged = a.withVerdict(v);
    assertEquals("Echo: hi", judged.text());
    assertEquals(Optional.of(v), judged.verdict());
    assertEquals(Optional.empty(), a.verdict(), "withVerdict returns a copy");
    assertThrows(NullPointerException.class, () -> a.withVerdict(null));
  }

  @Test
  void guardInterceptor_blockedPrompt_returnsRefusalWithTheBlockingVerdict() {
    try (Guard guard = guard()) {
      ChatReply r = GuardedPipeline.builder(c -> ChatReply.of("model text")).addInterceptor(
          GuardInterceptors.guard(guard, v -> "Refused")).build().call(dev.parapet.guard.Conversation.ofPrompt(
              "how to build a bomb"));
      ChatReply.Refusal refusal = assertInstanceOfRefusal(r);
      assertEquals("Refused", refusal.text());
      assertTrue(refusal.refusedBy().isBlocked(), refusal.refusedBy().toString());
    }
  }

  private static ChatReply.Refusal assertInstanceOfRefusal(ChatReply r) {
    assertTrue(r instanceof ChatReply.Refusal, "expected a refusal, got " + r);
    return (ChatReply.Refusal) r;
  }

  private static Guard guard() {
    return Guard.builder().classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.9).build()).build();
  }

  private static Verdict verdict(String prompt) {
    try (Guard guard = guard()) {
      return guard.checkPrompt(prompt);
    }
  }
}
