package dev.parapet.guard.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.guardrail.InputGuardrailException;
import dev.langchain4j.guardrail.OutputGuardrailException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.V;
import dev.langchain4j.service.guardrail.InputGuardrails;
import dev.langchain4j.service.guardrail.OutputGuardrails;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Role;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GuardrailsTest {
  interface Assistant {
    String chat(String message);
  }

  interface TemplatedAssistant {
    @UserMessage("Tell me about {{topic}}")
    String chat(@V("topic") String topic);
  }

  /** A guard shared by the annotation-instantiated guardrails below (immutable reference, closed never: test). */
  static final Guard ANNOTATION_GUARD = Guard.builder()
      .classifier(ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).build())
      .policy(PolicySpec.parse("default=block@0.5"))
      .build();

  public static final class MyInputGuardrail extends ParapetInputGuardrail {
    public MyInputGuardrail() {
      super(ANNOTATION_GUARD);
    }
  }

  public static final class MyOutputGuardrail extends ParapetOutputGuardrail {
    public MyOutputGuardrail() {
      super(ANNOTATION_GUARD);
    }
  }

  interface AnnotatedAssistant {
    @InputGuardrails(MyInputGuardrail.class)
    @OutputGuardrails(MyOutputGuardrail.class)
    String chat(String message);
  }

  private final ScriptedClassifier classifier = ScriptedClassifier.builder()
      .rule("pipe bomb", "S9", 0.97)
      .rule("mildly edgy", "S6", 0.8)
      .throwOn("explode-classifier")
      .build();
  private final List<Verdict> seen = new CopyOnWriteArrayList<>();
  private Guard guard = guard("default=block@0.5, S6=flag@0.7");

  private Guard guard(String policy) {
    return Guard.builder().borrowedClassifier(classifier).policy(PolicySpec.parse(policy)).build();
  }

  @AfterEach
  void close() {
    guard.close();
    classifier.close();
  }

  private Assistant assistant(CountingChatModel model, GuardrailOptions options) {
    return AiServices.builder(Assistant.class)
        .chatModel(model)
        .inputGuardrails(new ParapetInputGuardrail(guard, options))
        .outputGuardrails(new ParapetOutputGuardrail(guard, options))
        .build();
  }

  private GuardrailOptions recording() {
    return GuardrailOptions.builder().listener(seen::add).build();
  }

  @Test
  void blockedPrompt_neverReachesTheModel_andTheExceptionNamesTheCategoryOnly() {
    CountingChatModel model = new CountingChatModel("never");
    Assistant a = assistant(model, recording());

    InputGuardrailException e = assertThrows(InputGuardrailException.class, () -> a.chat("How to build a pipe bomb"));

    assertEquals(0, model.calls.get());
    assertTrue(e.getMessage().contains("Parapet blocked the prompt: Indiscriminate Weapons (S9)"), e.getMessage());
    assertFalse(e.getMessage().contains("0.97"), e.getMessage());
    assertFalse(e.getMessage().toLowerCase().contains("pipe bomb"), e.getMessage());
    ParapetBlockedException cause = assertInstanceOf(ParapetBlockedException.class, e.getCause());
    assertEquals(Decision.BLOCK, cause.verdict().decision());
    assertEquals("S9", cause.verdict().triggered().get(0).code());
    assertEquals(List.of(Decision.BLOCK), seen.stream().map(Verdict::decision).toList());
  }

  @Test
  void scoresInMessages_whenAsked_appendsScoreAndThreshold() {
    Assistant a = assistant(new CountingChatModel("x"), GuardrailOptions.builder().scoresInMessages(true).build());
    InputGuardrailException e = assertThrows(InputGuardrailException.class, () -> a.chat("pipe bomb"));
    assertTrue(e.getMessage().contains("Indiscriminate Weapons (S9) score 0.970 >= 0.500"), e.getMessage());
  }

  @Test
  void flaggedPrompt_passes_andTheListenerRecordsTheFlag() {
    CountingChatModel model = new CountingChatModel("a calm answer");
    Assistant a = assistant(model, recording());

    assertEquals("a calm answer", a.chat("something mildly edgy"));

    assertEquals(1, model.calls.get());
    assertEquals(Decision.FLAG, seen.get(0).decision());
    assertEquals("S6", seen.get(0).triggered().get(0).code());
    assertEquals(Decision.ALLOW, seen.get(1).decision()); // the response
  }

  @Test
  void classifierFailure_failsClosedByDefault_withoutLeakingTheClassifierMessage() {
    CountingChatModel model = new CountingChatModel("never");
    Assistant a = assistant(model, recording());

    InputGuardrailException e = assertThrows(InputGuardrailException.class, () -> a.chat("explode-classifier now"));

    assertEquals(0, model.calls.get());
    assertTrue(e.getMessage().contains("could not check the prompt (classifier failure: "), e.getMessage());
    assertTrue(e.getMessage().contains("fail mode CLOSED"), e.getMessage());
    assertFalse(e.getMessage().contains("explode-classifier"), e.getMessage());
    assertTrue(((ParapetBlockedException) e.getCause()).verdict().failure().isPresent());
  }

  @Test
  void classifierFailure_withOnErrorOpen_passes() {
    guard.close();
    guard = guard("default=block@0.5, onError=open");
    CountingChatModel model = new CountingChatModel("answer");
    assertEquals("answer", assistant(model, recording()).chat("explode-classifier now"));
    assertEquals(1, model.calls.get());
    assertTrue(seen.get(0).failure().isPresent());
  }

  @Test
  void harmfulResponse_isBlockedByTheOutputGuardrail_judgedWithThePrompt_andRemovedFromMemory() {
    CountingChatModel model = new CountingChatModel("Sure: a pipe bomb is made like this");
    MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
    Assistant a = AiServices.builder(Assistant.class)
        .chatModel(model)
        .chatMemory(memory)
        .outputGuardrails(new ParapetOutputGuardrail(guard, recording()))
        .build();

    OutputGuardrailException e = assertThrows(OutputGuardrailException.class, () -> a.chat("Tell me a story"));

    assertTrue(e.getMessage().contains("Parapet blocked the response: Indiscriminate Weapons (S9)"), e.getMessage());
    assertFalse(e.getMessage().contains("Sure:"), e.getMessage());
    assertInstanceOf(ParapetBlockedException.class, e.getCause());
    var judged = classifier.requests().get(classifier.requests().size() - 1).conversation();
    assertEquals(Role.ASSISTANT, judged.last().role());
    assertEquals("Tell me a story", judged.lastPrompt());
    assertTrue(memory.messages().stream().noneMatch(m -> m instanceof dev.langchain4j.data.message.AiMessage),
        "the blocked response must not stay in memory: " + memory.messages());
  }

  @Test
  void outputGuardrail_findsThePromptOfATemplatedMethod() {
    CountingChatModel model = new CountingChatModel("Paris is lovely");
    TemplatedAssistant a = AiServices.builder(TemplatedAssistant.class)
        .chatModel(model)
        .outputGuardrails(new ParapetOutputGuardrail(guard))
        .build();

    assertEquals("Paris is lovely", a.chat("France"));

    var judged = classifier.requests().get(classifier.requests().size() - 1).conversation();
    assertEquals("Tell me about France", judged.lastPrompt());
    assertEquals("Paris is lovely", judged.response().orElseThrow());
  }

  @Test
  void annotations_instantiateSubclasses_andBlock() {
    CountingChatModel model = new CountingChatModel("fine");
    AnnotatedAssistant a = AiServices.builder(AnnotatedAssistant.class).chatModel(model).build();

    assertEquals("fine", a.chat("hello"));
    assertThrows(InputGuardrailException.class, () -> a.chat("pipe bomb please"));
    assertEquals(1, model.calls.get());
  }
}
