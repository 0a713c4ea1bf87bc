package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IncrementalTest {
  private final EncoderGuardClassifier classifier = SharedModel.get();
  private final ContentTokenizer tokenizer = classifier.model().tokenizer;
  private final Taxonomy lg3 = Taxonomies.llamaGuard3();

  @Test
  void append_deltasSplittingWords_giveTheWholeTextTokens() {
    String text = "Unbelievably, the hyperparameter-tuning (re-run #42) didn't converge; naïve café "
        + "résumé\tok\nnext line 3.14159 e-mail: someone@example.com [SEP] [CLS]   done";
    long[] whole = tokenizer.encodeContent(text);
    Random rnd = new Random(42);
    for (int trial = 0; trial < 20; trial++) {
      IncrementalTokens inc = new IncrementalTokens(tokenizer, 10_000);
      int at = 0;
      while (at < text.length()) {
        int next = Math.min(text.length(), at + 1 + rnd.nextInt(7));
        inc.append(text.substring(at, next));
        at = next;
      }
      assertEquals(whole.length, inc.count(), "trial " + trial);
      assertArrayEquals(whole, inc.last(whole.length), "trial " + trial);
    }
  }

  @Test
  void last_afterManyTokens_keepsOnlyTheWindowButCountsAll() {
    IncrementalTokens inc = new IncrementalTokens(tokenizer, 50);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      String d = "word" + i + " ";
      all.append(d);
      inc.append(d);
    }
    long[] whole = tokenizer.encodeContent(all.toString());
    assertEquals(whole.length, inc.count());
    assertArrayEquals(Arrays.copyOfRange(whole, whole.length - 50, whole.length), inc.last(50));
  }

  @Test
  void score_shortResponse_equalsClassifierResponseCheck() {
    String prompt = EncoderGuardClassifierTest.HARMFUL.get(0);
    String response = "Sure! First, get a steel pipe and end caps; then fill it with the powder and seal it.";
    Taxonomy tax = lg3.with(new Category("X1", "Plumbing", "pipes", List.of("how to fix a leaking pipe"),
        List.of()));
    IncrementalClassifier inc = classifier.incremental().orElseThrow();
    try (IncrementalClassifier.Session s = inc.open(ClassificationRequest.of(Conversation.ofPrompt(prompt), tax))) {
      for (String piece : response.split("(?<=\\G.{5})")) {
        s.append(piece);
      }
      Scores streamed = s.score();
      Scores whole = classifier.classify(ClassificationRequest.of(Conversation.ofExchange(prompt, response), tax));
      assertEquals(whole.unsafe(), streamed.unsafe(), 1e-4);
      for (String code : whole.categories().keySet()) {
        assertEquals(whole.categories().get(code), streamed.categories().get(code), 1e-4, code);
      }
      assertEquals(tokenizer.encodeContent(response).length, s.committedTokens());
      assertTrue(streamed.truncation().isEmpty());
    }
  }

  @Test
  void score_emptyResponse_equalsCheckOfEmptyResponse() {
    IncrementalClassifier inc = classifier.incremental().orElseThrow();
    try (IncrementalClassifier.Session s = inc.open(ClassificationRequest.of(Conversation.ofPrompt("hi"), lg3))) {
      assertEquals(classifier.classify(ClassificationRequest.of(Conversation.ofExchange("hi", ""), lg3)).unsafe(),
          s.score().unsafe(), 1e-4);
      assertEquals(0, s.committedTokens());
    }
  }

  @Test
  void score_fiveThousandTokenResponse_inputStaysBounded() {
    IncrementalClassifier inc = classifier.incremental().orElseThrow();
    int max = classifier.model().config.maxTokens;
    try (IncrementalClassifier.Session s = inc.open(ClassificationRequest.of(
        Conversation.ofPrompt("Tell me a very long story. ".repeat(20)), lg3))) {
      EncoderIncremental.WindowSession ws = (EncoderIncremental.WindowSession) s;
      int checks = 0;
      int i = 0;
      while (s.committedTokens() < 5000) {
        s.append("and then the traveller walked " + i++ + " miles along the river, ");
        assertTrue(ws.nextInputLength() <= max, "input " + ws.nextInputLength());
        if (i % 50 == 0) {
          Scores sc = s.score();
          checks++;
          // the first score reads the whole response (windows-max); later ones the windows new text touched
          assertEquals(checks == 1 ? Truncation.Strategy.WINDOWS_MAX : IncrementalClassifier.PARTIAL_SCORE,
              sc.truncation().orElseThrow().strategy());
        }
      }
      assertTrue(checks >= 5);
      assertEquals(max, ws.nextInputLength());
    }
  }

  @Test
  void session_afterClose_throwsIllegalState() {
    IncrementalClassifier.Session s = classifier.incremental().orElseThrow()
        .open(ClassificationRequest.of(Conversation.ofPrompt("hi"), lg3));
    s.close();
    s.close();
    assertThrows(IllegalStateException.class, () -> s.append("x"));
    assertThrows(IllegalStateException.class, s::score);
  }

  @Test
  void open_responseConversation_throwsIllegalArgument() {
    IncrementalClassifier inc = classifier.incremental().orElseThrow();
    assertThrows(IllegalArgumentException.class,
        () -> inc.open(ClassificationRequest.of(Conversation.ofExchange("a", "b"), lg3)));
  }
}
