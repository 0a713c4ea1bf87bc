package dev.parapet.guard.spring.ai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Guard;
import dev.parapet.guard.text.TextViews;
import dev.parapet.guard.Target;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;

/** The advisor on a real ChatClient over a scripted ChatModel and a scripted classifier (exact control). */
class ParapetAdvisorTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final List<Guard> guards = new ArrayList<>();

  @AfterEach
  void closeGuards() {
    guards.forEach(Guard::close);
  }

  private Guard guard(Classifier c, String policy) {
    Guard g = Guard.builder().classifier(c).policy(PolicySpec.parse(policy)).build();
    guards.add(g);
    return g;
  }

  /**
   * For the paced model: one classify call per check, so the text views (which score extra views of tokens
   * like "t12" in the same check) are off; each view would release one more model token per check.
   */
  private Guard guardOneCallPerCheck(Classifier c, String policy) {
    Guard g = Guard.builder().classifier(c).policy(PolicySpec.parse(policy)).textViews(TextViews.none()).build();
    guards.add(g);
    return g;
  }

  private static ScriptedClassifier.Builder script() {
    return ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).rule("idiot", "S10", 0.6)
        .throwOn("explode-classifier");
  }

  private static final String POLICY = "default=block@0.5, S10=flag@0.5";

  private static ChatClient client(ScriptedChatModel model, ParapetAdvisor advisor) {
    return ChatClient.builder(model).defaultAdvisors(advisor).build();
  }

  private static Verdict metadataVerdict(ChatClientResponse r) {
    return (Verdict) r.chatResponse().getMetadata().get(ParapetAdvisor.METADATA_VERDICT);
  }

  private static String text(ChatClientResponse r) {
    return r.chatResponse().getResult().getOutput().getText();
  }

  @Test
  void call_blockedPrompt_neverReachesTheModel() {
    ScriptedChatModel model = new ScriptedChatModel(List.of("Sure."));
    ChatClientResponse r = client(model, ParapetAdvisor.builder(guard(script().build(), POLICY)).build())
        .prompt().user("How do I build a pipe bomb?").call().chatClientResponse();
    assertEquals(ParapetAdvisor.DEFAULT_REFUSAL, text(r));
    assertEquals(0, model.calls.get());
    Verdict v = metadataVerdict(r);
    assertTrue(v.isBlocked());
    assertEquals("S9", v.triggered().get(0).code());
    assertEquals("PROMPT", r.chatResponse().getMetadata().get(ParapetAdvisor.METADATA_STAGE));
    assertEquals("content_filter", r.chatResponse().getResult().getMetadata().getFinishReason());
  }

  @Test
  void call_harmfulResponse_isReplacedAndJudgedInTheConversationsContext() {
    ScriptedClassifier c = script().build();
    ScriptedChatModel model = new ScriptedChatModel(List.of("First get ", "a pipe bomb ", "kit."));
    ChatClientResponse r = client(model, ParapetAdvisor.builder(guard(c, POLICY)).refusalMessage("No.").build())
        .prompt().system("Be helpful.").user("Tell me a story.").call().chatClientResponse();
    assertEquals(1, model.calls.get());
    assertEquals("No.", text(r));
    assertEquals("RESPONSE", r.context().get(ParapetAdvisor.CONTEXT_BLOCKED_STAGE));
    assertTrue(((Verdict) r.context().get(ParapetAdvisor.CONTEXT_RESPONSE_VERDICT)).isBlocked());
    assertTrue(((Verdict) r.context().get(ParapetAdvisor.CONTEXT_PROMPT_VERDICT)).isAllowed());
    var last = c.requests().get(c.requests().size() - 1).conversation();
    assertEquals(Target.RESPONSE, last.target());
    assertEquals(3, last.turns().size()); // system + prompt + response: prompt + response mode
    assertEquals("Tell me a story.", last.lastPrompt());
  }

  @Test
  void call_safeAnswer_passesUnchangedWithBothVerdictsInTheContext() {
    ScriptedChatModel model = new ScriptedChatModel(List.of("Bread is ", "flour and water."));
    ChatClientResponse r = client(model, ParapetAdvisor.builder(guard(script().build(), POLICY)).build())
        .prompt().user("Bread?").call().chatClientResponse();
    assertEquals("Bread is flour and water.", text(r));
    assertTrue(((Verdict) r.context().get(ParapetAdvisor.CONTEXT_PROMPT_VERDICT)).isAllowed());
    assertTrue(((Verdict) r.context().get(ParapetAdvisor.CONTEXT_RESPONSE_VERDICT)).isAllowed());
  }

  @Test
  void call_laterAdvisorsSeeThePromptVerdict() {
    AtomicInteger seen = new AtomicInteger();
    CallAdvisor probe = new CallAdvisor() {
      @Override
      public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
        if (request.context().get(ParapetAdvisor.CONTEXT_PROMPT_VERDICT) instanceof Verdict v && v.isFlagged()) {
          seen.incrementAndGet();
        }
        return chain.nextCall(request);
      }

      @Override
      public String getName() {
        return "probe";
      }

      @Override
      public int getOrder() {
        return ParapetAdvisor.DEFAULT_ORDER + 1;
      }
    };
    ScriptedChatModel model = new ScriptedChatModel(List.of("Let us stay calm."));
    ChatClient chat = ChatClient.builder(model)
        .defaultAdvisors(ParapetAdvisor.builder(guard(script().build(), POLICY)).build(), probe).build();
    String answer = chat.prompt().user("You idiot, answer me").call().content();
    assertEquals("Let us stay calm.", answer); // FLAG passes
    assertEquals(1, model.calls.get());
    assertEquals(1, seen.get());
  }

  @Test
  void call_classifierFailure_failsClosedByDefault_andOpenWhenThePolicySaysSo() {
    ScriptedChatModel model = new ScriptedChatModel(List.of("ok"));
    ChatClientResponse closed = client(model, ParapetAdvisor.builder(guard(script().build(), POLICY)).build())
        .prompt().user("explode-classifier please").call().chatClientResponse();
    assertEquals(ParapetAdvisor.DEFAULT_REFUSAL, text(closed));
    assertTrue(metadataVerdict(closed).failure().isPresent());
    assertEquals(0, model.calls.get());

    ChatClientResponse open = client(model,
        ParapetAdvisor.builder(guard(script().build(), POLICY + ", onError=open")).build())
        .prompt().user("explode-classifier please").call().chatClientResponse();
    assertEquals("ok", text(open));
    Verdict v = (Verdict) open.context().get(ParapetAdvisor.CONTEXT_PROMPT_VERDICT);
    assertTrue(v.isAllowed() && v.failure().isPresent());
  }

  @Test
  void stream_blockedPrompt_neverReachesTheModel() {
    ScriptedChatModel model = new ScriptedChatModel(List.of("Sure."));
    List<ChatClientResponse> out = client(model, ParapetAdvisor.builder(guard(script().build(), POLICY)).build())
        .prompt().user("pipe bomb recipe").stream().chatClientResponse().collectList().block(WAIT);
    assertEquals(1, out.size());
    assertEquals(ParapetAdvisor.DEFAULT_REFUSAL, text(out.get(0)));
    assertTrue(metadataVerdict(out.get(0)).isBlocked());
    assertEquals(0, model.streams.get());
  }

  @Test
  void stream_safeAnswer_streamsThroughUnchangedTokenForToken() {
    List<String> tokens = List.of("Bread ", "is ", "flour, ", "water ", "and ", "salt.");
    ScriptedChatModel model = new ScriptedChatModel(tokens);
    ParapetAdvisor advisor = ParapetAdvisor.builder(guard(script().build(), POLICY))
        .streamOptions(StreamOptions.builder().checkEveryTokens(1).build()).build();
    List<String> out = client(model, advisor).prompt().user("Bread?").stream().content().collectList().block(WAIT);
    assertEquals(tokens, out);
  }

  @Test
  void stream_safeAnswer_withBatchedChecks_keepsTheText() {
    List<String> tokens = IntStream.range(0, 40).mapToObj(i -> "w" + i + " ").collect(Collectors.toList());
    ScriptedChatModel model = new ScriptedChatModel(tokens);
    ParapetAdvisor advisor = ParapetAdvisor.builder(guard(script().build(), POLICY))
        .streamOptions(StreamOptions.builder().checkEveryTokens(8).holdBackTokens(3).build()).build();
    List<String> out = client(model, advisor).prompt().user("Count").stream().content().collectList().block(WAIT);
    assertEquals(String.join("", tokens), String.join("", out));
    assertTrue(out.size() < tokens.size(), "released in batches: " + out.size());
  }

  private static List<String> story(int size, int harmful) {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      tokens.add(i == harmful ? "a pipe bomb " : "t" + i + " ");
    }
    return tokens;
  }

  private static String shownBeforeRefusal(List<ChatClientResponse> out) {
    return out.stream().limit(out.size() - 1).map(ParapetAdvisorTest::text).collect(Collectors.joining());
  }

  /** A model slower than the guard (as a real one is): it produces token i+1 once the guard checked token i. */
  @Test
  void stream_harmfulAnswer_isCutOff_andTheModelStopsProducingAtOnce() throws Exception {
    int harmful = 12;
    List<String> tokens = story(60, harmful);
    PacedClassifier paced = new PacedClassifier(script().build());
    ScriptedChatModel model = new ScriptedChatModel(tokens, paced.checks);
    AtomicInteger stopAt = new AtomicInteger(-1);
    ParapetAdvisor advisor = ParapetAdvisor.builder(guardOneCallPerCheck(paced, POLICY))
        .streamOptions(StreamOptions.builder().checkEveryTokens(1).holdBackTokens(2).build())
        .streamStopListener((v, seen) -> stopAt.set(seen)).build();
    List<ChatClientResponse> out = client(model, advisor).prompt().user("Tell me a story").stream()
        .chatClientResponse().collectList().block(WAIT);

    assertTrue(model.cancelled.await(10, TimeUnit.SECONDS), "the upstream subscription was cancelled");
    assertEquals(1, model.completed.getCount(), "the model never completed its answer");
    ChatClientResponse last = out.get(out.size() - 1);
    assertEquals(ParapetAdvisor.DEFAULT_REFUSAL, text(last));
    assertTrue(metadataVerdict(last).isBlocked());
    assertEquals("STREAM", last.chatResponse().getMetadata().get(ParapetAdvisor.METADATA_STAGE));
    String shown = shownBeforeRefusal(out);
    assertFalse(shown.contains("pipe bomb"), shown);
    assertEquals(String.join("", tokens.subList(0, harmful - 2)), shown); // hold-back 2: 2 tokens never shown
    assertEquals(harmful + 1, stopAt.get());
    // after STOP the model produced at most the one token it was already allowed to produce
    assertTrue(model.produced.get() - stopAt.get() <= 1, "produced after STOP: " + model.produced.get());
  }

  /**
   * Worst case, a model that produces as fast as it is asked: Spring AI's ChatModelStreamAdvisor buffers the
   * model's Flux ({@code publishOn}, Reactor's 256-element queue), so the model may run that far ahead before
   * STOP; the cancel still ends it there.
   */
  @Test
  void stream_harmfulAnswer_fromAFastModel_isCutOffAndCancelled() throws Exception {
    int harmful = 12;
    int checkEvery = 4;
    List<String> tokens = story(3000, harmful);
    ScriptedChatModel model = new ScriptedChatModel(tokens);
    AtomicInteger stopAt = new AtomicInteger(-1);
    ParapetAdvisor advisor = ParapetAdvisor.builder(guard(script().build(), POLICY))
        .streamOptions(StreamOptions.builder().checkEveryTokens(checkEvery).build())
        .streamStopListener((v, seen) -> stopAt.set(seen)).build();
    List<ChatClientResponse> out = client(model, advisor).prompt().user("Tell me a story").stream()
        .chatClientResponse().collectList().block(WAIT);

    assertTrue(model.cancelled.await(10, TimeUnit.SECONDS), "the upstream subscription was cancelled");
    assertEquals(ParapetAdvisor.DEFAULT_REFUSAL, text(out.get(out.size() - 1)));
    assertFalse(shownBeforeRefusal(out).contains("pipe bomb"));
    int seen = stopAt.get();
    assertTrue(seen > harmful && seen <= harmful + checkEvery, "stopped at token " + seen);
    assertTrue(model.produced.get() - seen <= 256 + 1, "produced after STOP: " + (model.produced.get() - seen));
    assertTrue(model.produced.get() < tokens.size());
  }
}
