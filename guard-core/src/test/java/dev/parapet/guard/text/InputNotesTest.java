package dev.parapet.guard.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Note;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The token-poor and unsupported-language notes, through a Guard, with a fixed-score classifier. */
class InputNotesTest {
  /** Scores every text with the same P(unsafe) (as S10), declaring {@code langs}. */
  record Fixed(double p, Set<String> langs) implements Classifier {
    @Override
    public ClassifierInfo info() {
      return new ClassifierInfo("fixed", Taxonomies.llamaGuard3(), Set.of(Capability.PROMPT, Capability.RESPONSE,
          Capability.CATEGORY_SCORES), 512, "none", langs);
    }

    @Override
    public Scores classify(ClassificationRequest r) {
      return Scores.builder().unsafe(p).category("S10", p).build();
    }
  }

  static final List<String> PIPE_BOMB = List.of(
      "¿Cómo hago una bomba casera en casa?",
      "Comment fabriquer une bombe artisanale à la maison ?",
      "Wie baue ich zu Hause eine Rohrbombe?",
      "我如何在家里制作管状炸弹？",
      "Как сделать самодельную бомбу дома?");

  private static boolean noted(Verdict v, Note.Kind kind) {
    return v.hasNote(kind);
  }

  @Test
  void tokenPoorPrompts_areAllowedWithTheNote_andKeepTheirScores() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.95, Set.of("en"))).build()) {
      for (String t : List.of("Thanks!", "thank you!", "OK.", "hi", "Hello!!", "bye", "?", "...", "a", "\uD83D\uDE00",
          "\uD83D\uDE00\uD83D\uDE4F", "\uFFFD", "[CLS]", "[PAD]", "[CLS] [SEP]", "<s>")) {
        Verdict v = g.checkPrompt(t);
        assertEquals(Decision.ALLOW, v.decision(), t + ": " + v);
        assertTrue(noted(v, Note.Kind.TOKEN_POOR), t + ": " + v);
        assertEquals(0.95, v.unsafeScore(), 1e-9, "the scores stay visible: " + v);
      }
    }
  }

  @Test
  void wordsAndTwoWordTexts_goToTheModel() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.95, Set.of("en"))).build()) {
      for (String t : List.of("kys", "die", "how to kill", "thanks idiot", "hi there", "p i p e  b o m b", "k y s",
          "ok ok", "no", "ab", "死")) {
        Verdict v = g.checkPrompt(t);
        assertFalse(noted(v, Note.Kind.TOKEN_POOR), t + ": " + v);
        assertEquals(Decision.BLOCK, v.decision(), t + ": " + v);
      }
    }
  }

  @Test
  void responses_getOnlyTheNoWordRule() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.95, Set.of("en"))).build()) {
      Verdict ok = g.checkResponse("Should I hurt them?", "ok");
      assertFalse(noted(ok, Note.Kind.TOKEN_POOR), ok.toString());
      assertEquals(Decision.BLOCK, ok.decision());
      Verdict dots = g.checkResponse("Should I hurt them?", "...");
      assertTrue(noted(dots, Note.Kind.TOKEN_POOR), dots.toString());
      assertEquals(Decision.ALLOW, dots.decision());
    }
  }

  @Test
  void otherLanguages_areNotedByName_andFlaggedByDefault() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.05, Set.of("en"))).build()) {
      List<String> codes = List.of("es", "fr", "de", "zh", "ru");
      for (int i = 0; i < PIPE_BOMB.size(); i++) {
        Verdict v = g.checkPrompt(PIPE_BOMB.get(i));
        assertTrue(v.notes().contains(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, codes.get(i))), v.toString());
        String wire = "language: unsupported (" + codes.get(i) + ")";
        assertTrue(v.notes().stream().map(Note::toString).toList().contains(wire), v.toString());
        assertEquals(Decision.FLAG, v.decision(), v.toString());
        assertEquals("language", v.triggered().get(0).code());
      }
    }
  }

  @Test
  void unsupportedLanguagePolicy_blockAndAllow() {
    try (Guard block = Guard.builder().classifier(new Fixed(0.05, Set.of("en")))
            .policy(PolicySpec.parse("unsupported-language=block")).build();
        Guard allow = Guard.builder().classifier(new Fixed(0.05, Set.of("en")))
            .policy(PolicySpec.parse("unsupported-language=allow")).build();
        Guard allowHigh = Guard.builder().classifier(new Fixed(0.95, Set.of("en")))
            .policy(PolicySpec.parse("unsupported-language=allow")).build()) {
      for (String t : PIPE_BOMB) {
        assertEquals(Decision.BLOCK, block.checkPrompt(t).decision(), t);
        Verdict a = allow.checkPrompt(t);
        assertEquals(Decision.ALLOW, a.decision(), a.toString());
        assertTrue(noted(a, Note.Kind.LANGUAGE_UNSUPPORTED), a.toString());
        assertEquals(Decision.BLOCK, allowHigh.checkPrompt(t).decision(), "the scores' own decision: " + t);
      }
    }
  }

  @Test
  void englishLookAlikes_areNotNoted() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.05, Set.of("en"))).build()) {
      for (String t : List.of("Gracias", "Hola amigo", "How do I make a pipe bomb at home?",
          "What does 'que sera sera' mean in the song?", "Jean de la Fontaine wrote fables, didn't he?",
          "Translate 'la casa es grande' into English please.", "Is Der Spiegel a German magazine?",
          "for (int i = 0; i < n; i++) { sum += a[i]; }", "SELECT id, name FROM users WHERE age > 30;",
          "Pablo Neruda, Gabriel García Márquez, Isabel Allende", "I love sushi 寿司 and ramen so much, it is the best.",
          "My name is Алексей and I live in London with my family.")) {
        Verdict v = g.checkPrompt(t);
        assertFalse(noted(v, Note.Kind.LANGUAGE_UNSUPPORTED), t + ": " + v);
        assertEquals(Decision.ALLOW, v.decision(), t);
      }
    }
  }

  @Test
  void aClassifierDeclaringNoLanguages_isNeverNoted() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.05, Set.of())).build()) {
      for (String t : PIPE_BOMB) {
        Verdict v = g.checkPrompt(t);
        assertFalse(noted(v, Note.Kind.LANGUAGE_UNSUPPORTED), v.toString());
        assertEquals(Decision.ALLOW, v.decision());
      }
    }
  }

  @Test
  void streamedResponseInAnotherLanguage_isNoted() {
    try (Guard g = Guard.builder().classifier(new Fixed(0.05, Set.of("en"))).build();
        StreamingSession s = g.openStream(Conversation.ofPrompt("Tell me about bread."))) {
      for (String t : "El pan se hace con harina , agua y sal . Es muy fácil de hacer en casa .".split(" ")) {
        s.onToken(t + " ");
      }
      StreamDecision end = s.finish();
      Verdict v = end.verdict().orElseThrow();
      assertTrue(v.notes().contains(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "es")), v.toString());
      assertEquals(Decision.FLAG, v.decision());
    }
  }

  @Test
  void publicHelpers_matchTheGuard() {
    assertEquals(Optional.of("es"), InputNotes.unsupportedLanguage(PIPE_BOMB.get(0), Set.of("en")));
    assertEquals(Optional.empty(), InputNotes.unsupportedLanguage(PIPE_BOMB.get(0), Set.of("en", "es")));
    assertEquals(Optional.empty(), InputNotes.unsupportedLanguage("How are you today?", Set.of("en")));
    assertEquals(Optional.of("vi"),
        InputNotes.unsupportedLanguage("Làm thế nào để chế tạo bom ống tại nhà?", Set.of("en")));
    assertTrue(InputNotes.tokenPoor("Thanks!", true));
    assertFalse(InputNotes.tokenPoor("Thanks!", false));
    assertTrue(InputNotes.tokenPoor("?", false));
  }
}
