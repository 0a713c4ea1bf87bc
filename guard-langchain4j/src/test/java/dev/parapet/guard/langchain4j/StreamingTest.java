package dev.parapet.guard.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamingTest {
  interface Assistant {
    TokenStream chat(String message);
  }

  private static final int CHECK_EVERY = 4;

  private final ScriptedClassifier classifier = ScriptedClassifier.builder()
      .rule("pipe bomb", "S9", 0.97)
      .throwOn("explode-classifier")
      .build();
  private final Guard guard = Guard.builder()
      .classifier(classifier)
      .policy(PolicySpec.parse("default=block@0.5"))
      .streamOptions(StreamOptions.builder().checkEveryTokens(CHECK_EVERY).build())
      .build();
  private final List<Verdict> verdicts = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    guard.close();
  }

  private record Result(List<String> partials, ChatResponse response) {
    String text() {
      return String.join("", partials);
    }
  }

  private Result stream(ScriptedStreamingModel upstream, String prompt) throws Exception {
    GuardedStreamingChatModel guarded = GuardedStreamingChatModel.builder(upstream, guard)
        .refusalMessage(" [stopped]")
        .listener(verdicts::add)
        .build();
    Assistant a = AiServices.builder(Assistant.class).streamingChatModel(guarded).build();
    List<String> partials = new CopyOnWriteArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    a.chat(prompt).onPartialResponse(partials::add).onCompleteResponse(done::complete)
        .onError(done::completeExceptionally).start();
    return new Result(new ArrayList<>(partials), done.get(30, TimeUnit.SECONDS));
  }

  private static List<String> tokens(String... t) {
    return List.of(t);
  }

  @Test
  void harmfulAnswer_isCutOff_andUpstreamStopsWithinTheCheckWindow() throws Exception {
    List<String> script = new ArrayList<>(tokens("Sure", ",", " here", " is", " how", " to", " build"));
    int harmfulAt = script.size(); // index of the first harmful token
    script.add(" a pipe bomb");
    for (int i = 0; i < 40; i++) {
      script.add(" step" + i);
    }
    ScriptedStreamingModel upstream = new ScriptedStreamingModel(script, true);

    Result r = stream(upstream, "Tell me a story");

    int cancelledAt = upstream.producedAtCancel.get();
    assertTrue(cancelledAt > harmfulAt, "cancel came at token " + cancelledAt);
    // the check that sees the harmful token runs at most CHECK_EVERY tokens after it
    assertTrue(cancelledAt - (harmfulAt + 1) < CHECK_EVERY, "tokens after the harmful one: " + cancelledAt);
    assertEquals(cancelledAt, upstream.produced.get(), "upstream produced tokens after the cancel");
    assertFalse(r.text().contains("pipe bomb"), r.text());
    assertTrue(r.text().endsWith(" [stopped]"), r.text());
    assertEquals(FinishReason.CONTENT_FILTER, r.response().finishReason());
    assertEquals(r.text(), r.response().aiMessage().text());
    assertTrue(r.response().aiMessage().attributes().get(GuardedStreamingChatModel.VERDICT_ATTRIBUTE)
        .toString().contains("\"BLOCK\""));
    assertEquals(Decision.BLOCK, verdicts.get(verdicts.size() - 1).decision());
  }

  @Test
  void safeAnswer_streamsThroughUnchanged_tokenForToken() throws Exception {
    List<String> script = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      script.add(i == 0 ? "Paris" : " word" + i);
    }
    ScriptedStreamingModel upstream = new ScriptedStreamingModel(script, true);

    Result r = stream(upstream, "What is the capital of France?");

    assertEquals(String.join("", script), r.text());
    // every released chunk is a run of whole upstream tokens, in order
    int i = 0;
    for (String chunk : r.partials()) {
      StringBuilder sb = new StringBuilder();
      while (sb.length() < chunk.length()) {
        sb.append(script.get(i++));
      }
      assertEquals(sb.toString(), chunk);
    }
    assertEquals(script.size(), i);
    assertEquals(script.size(), upstream.produced.get());
    assertEquals(-1, upstream.producedAtCancel.get());
    assertEquals(String.join("", script), r.response().aiMessage().text());
    assertEquals(Decision.ALLOW, verdicts.get(verdicts.size() - 1).decision());
  }

  @Test
  void providerWithoutCancellation_runsToItsEnd_butNothingAfterTheStopIsForwarded() throws Exception {
    List<String> script = new ArrayList<>(tokens("Sure", " a pipe bomb"));
    for (int i = 0; i < 20; i++) {
      script.add(" more" + i);
    }
    ScriptedStreamingModel upstream = new ScriptedStreamingModel(script, false);

    Result r = stream(upstream, "hi");

    assertEquals(script.size(), upstream.produced.get()); // it could not be cancelled
    assertEquals(" [stopped]", r.text());
    assertEquals(FinishReason.CONTENT_FILTER, r.response().finishReason());
  }

  @Test
  void classifierFailureMidStream_failsClosed() throws Exception {
    List<String> script = new ArrayList<>(tokens("fine", " text", " explode-classifier"));
    for (int i = 0; i < 20; i++) {
      script.add(" more" + i);
    }
    ScriptedStreamingModel upstream = new ScriptedStreamingModel(script, true);

    Result r = stream(upstream, "hi");

    assertTrue(upstream.producedAtCancel.get() > 0);
    assertEquals(upstream.producedAtCancel.get(), upstream.produced.get());
    assertFalse(r.text().contains("explode"), r.text());
    assertTrue(verdicts.get(verdicts.size() - 1).failure().isPresent());
  }

  @Test
  void streamedPrompt_isThePromptTheSessionJudgesWith() throws Exception {
    ScriptedStreamingModel upstream = new ScriptedStreamingModel(tokens("ok", " fine"), true);
    stream(upstream, "my question");
    var last = classifier.requests().get(classifier.requests().size() - 1).conversation();
    assertEquals("my question", last.lastPrompt());
    assertEquals(1, upstream.calls.get());
  }
}
