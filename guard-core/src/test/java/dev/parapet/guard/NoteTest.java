package dev.parapet.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.Scores;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NoteTest {
  /** Today's wire form of one note per kind, as the guard writes it (and as verdict JSON shows it). */
  static final Map<Note.Kind, String> WIRE = Map.of(
      Note.Kind.INPUT_TRUNCATED, "input-truncated: 30 of 40 chars kept (head+tail)",
      Note.Kind.CONTEXT_TRUNCATED, "context-truncated: turn 0 (USER): 100 of 500 chars kept (head+tail)",
      Note.Kind.EMPTY_INPUT, "empty-input: not classified",
      Note.Kind.CLASSIFIER_TRUNCATED, "classifier-truncated: 100 of 500 tokens read (head+tail)",
      Note.Kind.RESPONSE_TOO_LONG, "response-too-long: 6 chars > maxResponseChars 5",
      Note.Kind.VIEW, "view: de-leet",
      Note.Kind.LANGUAGE_UNSUPPORTED, "language: unsupported (es)",
      Note.Kind.TOKEN_POOR, "token-poor",
      Note.Kind.OTHER, "something a newer version writes");

  @ParameterizedTest
  @EnumSource(Note.Kind.class)
  void parse_wireFormOfEveryKind_roundTrips(Note.Kind kind) {
    String wire = WIRE.get(kind);
    assertTrue(wire != null, "add a wire example for " + kind);
    Note n = Note.parse(wire);
    assertEquals(kind, n.kind(), wire);
    assertEquals(wire, n.toString());
    assertEquals(n, Note.parse(n.toString()));
  }

  @Test
  void parse_splitsKindAndDetail() {
    assertEquals(Note.of(Note.Kind.INPUT_TRUNCATED, "30 of 40 chars kept (head+tail)"),
        Note.parse("input-truncated: 30 of 40 chars kept (head+tail)"));
    assertEquals(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "es"), Note.parse("language: unsupported (es)"));
    assertEquals(Note.of(Note.Kind.EMPTY_INPUT, "not classified"), Note.parse("empty-input: not classified"));
    assertEquals(Note.of(Note.Kind.TOKEN_POOR), Note.parse("token-poor"));
    assertEquals(Note.of(Note.Kind.TOKEN_POOR, "no word to judge"), Note.parse("token-poor: no word to judge"));
  }

  @Test
  void toString_isTodaysString() {
    assertEquals("input-truncated: 1 of 2 chars kept (head+tail)",
        Note.of(Note.Kind.INPUT_TRUNCATED, "1 of 2 chars kept (head+tail)").toString());
    assertEquals("language: unsupported (fr)", Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "fr").toString());
    assertEquals("view: rot13", Note.of(Note.Kind.VIEW, "rot13").toString());
    assertEquals("token-poor", Note.of(Note.Kind.TOKEN_POOR).toString());
    assertEquals("response-too-long", Note.of(Note.Kind.RESPONSE_TOO_LONG).toString());
  }

  @Test
  void parse_unknownOrMalformed_isOtherWithTheFullText() {
    for (String s : List.of("n", "future-note: something", "viewpoint: x", "token-poorly", "input-truncated:",
        "input-truncated: ", "language: unsupported", "language: unsupported ()", "language: unsupported (es",
        "language: spanish", " input-truncated: leading space", "INPUT-TRUNCATED: upper case")) {
      Note n = Note.parse(s);
      if (s.equals("language: unsupported")) {
        assertEquals(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED), n, "the bare name is the kind without detail");
      } else {
        assertEquals(Note.Kind.OTHER, n.kind(), s);
        assertEquals(s, n.detail(), "no text is lost: " + s);
      }
      assertEquals(s, n.toString(), "parse(s).toString() == s");
    }
  }

  @Test
  void parse_nullOrEmpty_isAClearError() {
    NullPointerException npe = assertThrows(NullPointerException.class, () -> Note.parse(null));
    assertEquals("note", npe.getMessage());
    IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> Note.parse(""));
    assertTrue(iae.getMessage().contains("must not be empty"), iae.getMessage());
  }

  @Test
  void constructor_refusesNullsAndAnEmptyOther() {
    assertThrows(NullPointerException.class, () -> Note.of(null, "x"));
    assertThrows(NullPointerException.class, () -> Note.of(Note.Kind.VIEW, null));
    assertThrows(IllegalArgumentException.class, () -> Note.of(Note.Kind.OTHER, ""));
    assertThrows(IllegalArgumentException.class, () -> Note.of(Note.Kind.OTHER));
  }

  @Test
  void wireNames_areUniqueAndNoneIsEmptyButOthers() {
    for (Note.Kind k : Note.Kind.values()) {
      assertEquals(k == Note.Kind.OTHER, k.wireName().isEmpty(), k.toString());
      for (Note.Kind j : Note.Kind.values()) {
        if (j != k && j != Note.Kind.OTHER && k != Note.Kind.OTHER) {
          assertFalse(j.wireName().startsWith(k.wireName()), j + " would parse as " + k);
        }
      }
    }
  }

  @Test
  void verdict_withAResponseTooLongNote_isRecognisedByKind() {
    Note tooLong = Note.parse("response-too-long: 9 chars > maxResponseChars 8");
    assertEquals(Note.Kind.RESPONSE_TOO_LONG, tooLong.kind());
    // a BLOCK with neither triggered rule nor failure is only valid when stopped for length
    Verdict v = Verdict.builder().decision(Decision.BLOCK).target(Target.RESPONSE).notes(List.of(tooLong)).build();
    assertTrue(v.hasNote(Note.Kind.RESPONSE_TOO_LONG));
    assertFalse(v.hasNote(Note.Kind.INPUT_TRUNCATED));
    assertTrue(v.toJson().contains("\"notes\":[\"response-too-long: 9 chars > maxResponseChars 8\"]"), v.toJson());
    // the same text under another kind does not count: recognised by kind, not by string prefix
    Note other = Note.of(Note.Kind.OTHER, "stopped: 9 chars > maxResponseChars 8");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Verdict.builder().decision(Decision.BLOCK).notes(List.of(other)).build());
    assertTrue(e.getMessage().contains("has no cause"), e.getMessage());
  }

  @Test
  void scores_hasNote_readsTheKind() {
    Scores s = Scores.builder().unsafe(0.2).note(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "es"))
        .note(Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, "es")).build();
    assertTrue(s.hasNote(Note.Kind.LANGUAGE_UNSUPPORTED));
    assertTrue(s.languageUnsupported());
    assertFalse(s.hasNote(Note.Kind.TOKEN_POOR));
    assertFalse(s.tokenPoor());
    assertTrue(Scores.builder().unsafe(0.2).note(Note.of(Note.Kind.TOKEN_POOR)).build().tokenPoor());
    assertFalse(Scores.builder().unsafe(0.2).note(Note.parse("language: spanish")).build().languageUnsupported(),
        "an unknown note is OTHER, not the kind its text resembles");
    assertEquals(1, s.notes().size(), "a note is kept once");
  }
}
