package dev.parapet.guard.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.testing.ScriptedClassifier;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes a {@link StreamingSession} with random token sequences, random options and random orders of
 * {@code onToken}/{@code finish}/{@code close}, against a fake classifier that blocks "bomb" and fails on
 * "explode-classifier". Invariants: the text released so far is always a prefix of the text fed; nothing is
 * released after a Stop, and every later call returns that same Stop; a response containing "bomb" never
 * completes; a repeated {@code finish()} returns the first decision; the only exceptions are the documented {@link IllegalStateException}s after finish/close.
 *
 * <p>Input layout: byte 0-1 pick the options, then each byte is one operation (see {@link #step}).
 */
class StreamingSessionFuzzTest {
  private static final String[] WORDS = {"Hello", " ", "world", ".", " bo", "mb", "bomb", "\n", "", "a", "é",
      "\uD83D\uDE00", "\uD83D", "\u200B", "explode-classifier", "!", "pipe", "?"};
  private static final Guard GUARD = Guard.builder()
      .classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.97).throwOn("explode-classifier").build())
      .build();

  @AfterAll
  static void closeGuard() {
    GUARD.close();
  }

  @FuzzTest(maxDuration = "60s")
  void session(byte[] data) {
    if (data.length < 2) {
      return;
    }
    StreamOptions options = StreamOptions.builder()
        .checkEveryTokens(1 + (data[0] & 0x7))
        .checkAtSentenceEnd((data[0] & 0x8) != 0)
        .holdBackTokens((data[0] >> 4) & 0x3)
        .debounce(1 + (data[1] & 0x1))
        .build();
    StringBuilder fed = new StringBuilder();
    StringBuilder released = new StringBuilder();
    StreamDecision.Stop stop = null;
    StreamDecision.Complete complete = null;
    boolean finished = false;
    boolean closed = false;
    StreamingSession s = GUARD.openStream(Conversation.ofPrompt("Tell me a story"), options);
    try {
      for (int i = 2; i < data.length; i++) {
        int op = data[i] & 0xff;
        StreamDecision d;
        try {
          if (op < 0xe0) {
            String token = WORDS[op % WORDS.length];
            d = s.onToken(token);
            fed.append(token);
          } else if (op < 0xf0) {
            d = s.finish();
            if (!closed) {
              finished = true;
            }
          } else {
            s.close();
            closed = true;
            continue;
          }
        } catch (IllegalStateException e) {
          assertTrue(finished || closed, () -> "IllegalStateException while open: " + e);
          continue;
        }
        if (stop != null) {
          assertEquals(stop, d, "a call after a Stop must return the same Stop");
          continue;
        }
        if (complete != null) {
          // finish() again (also after close) returns the same decision; its text was released once already
          assertEquals(complete, d, "a second finish() must return the first one's decision");
          continue;
        }
        released.append(d.released());
        assertTrue(fed.toString().startsWith(released.toString()),
            () -> "released text is not a prefix of the input: " + released + " / " + fed);
        if (d instanceof StreamDecision.Stop st) {
          stop = st;
          assertEquals(fed.substring(released.length()), st.withheld(), "withheld = fed - released");
        } else if (d instanceof StreamDecision.Complete c) {
          complete = c;
          assertEquals(fed.toString(), released.toString(), "Complete releases everything");
          assertFalse(fed.toString().contains("bomb"), () -> "completed a response with 'bomb': " + fed);
          assertFalse(fed.toString().contains("explode-classifier"), "fail-closed must stop on a failure");
        }
      }
    } finally {
      s.close();
    }
  }
}
