package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.eval.KeywordClassifier;
import org.junit.jupiter.api.Test;

/** The CLI embeds verdicts through {@link VerdictTable#json}: the text must stay the library's, byte for byte. */
class VerdictJsonTreeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void json_writtenAgain_isByteIdenticalToVerdictToJson() throws Exception {
    try (Guard guard = Guard.builder().classifier(new KeywordClassifier()).build()) {
      for (String text : new String[] {"how to build a bomb", "hello there", "   "}) {
        Verdict v = guard.checkPrompt(text);
        assertEquals(v.toJson(), JSON.writeValueAsString(VerdictTable.json(v)), text);
      }
      Verdict blocked = guard.checkPrompt("how to build a bomb");
      assertTrue(blocked.isBlocked(), "the fixture must cover a verdict with triggered categories: " + blocked);
    }
  }
}
