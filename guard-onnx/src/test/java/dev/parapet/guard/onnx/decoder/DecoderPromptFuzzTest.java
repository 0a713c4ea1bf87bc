package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.spi.ClassificationRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the decoder prompt builder of every family (tiny test tokenizer and models, {@link Fixtures}): for any
 * user/assistant text, no special-token id comes from the content, and the template (prefix, suffix, the ordered
 * special ids of the whole prompt) is the same as for a benign conversation. Input: byte 0 picks the family and
 * prompt-vs-exchange, the rest is UTF-8 text split at the first 0x00 into prompt and response.
 */
class DecoderPromptFuzzTest {
  @TempDir static Path dir;
  private static final Map<GuardFamily, DecoderGuardClassifier> CLASSIFIERS = new EnumMap<>(GuardFamily.class);
  private static final Map<GuardFamily, Set<Long>> SPECIALS = new EnumMap<>(GuardFamily.class);

  @BeforeAll
  static void load() {
    for (GuardFamily family : GuardFamily.values()) {
      Path model = Fixtures.model(dir.resolve(family.id()), family);
      CLASSIFIERS.put(family, DecoderGuardClassifier.load(model,
          DecoderOptions.builder().categoryMode(CategoryMode.NONE).build()));
      try (ContentTokenizer tok = ContentTokenizer.load(model.resolve("tokenizer.json"))) {
        SPECIALS.put(family, Set.copyOf(tok.specialIds()));
      }
    }
  }

  @AfterAll
  static void close() {
    CLASSIFIERS.values().forEach(DecoderGuardClassifier::close);
  }

  @FuzzTest(maxDuration = "60s")
  void prompt(byte[] data) {
    if (data.length < 1) {
      return;
    }
    GuardFamily family = GuardFamily.values()[(data[0] & 0x7f) % GuardFamily.values().length];
    boolean exchange = (data[0] & 0x80) != 0;
    String text = new String(data, 1, data.length - 1, StandardCharsets.UTF_8);
    int cut = text.indexOf('\0');
    String user = cut < 0 ? text : text.substring(0, cut);
    String assistant = cut < 0 ? text : text.substring(cut + 1);
    if (user.isBlank() || (exchange && assistant.isBlank())) {
      return; // empty text is never classified (the Guard answers it)
    }
    DecoderGuardClassifier c = CLASSIFIERS.get(family);
    var tax = family.nativeTaxonomy();
    Conversation benign = exchange ? Conversation.ofExchange("hello", "world") : Conversation.ofPrompt("world");
    Conversation fuzzed = exchange ? Conversation.ofExchange(user, assistant) : Conversation.ofPrompt(user);
    PromptPreparer.Prepared good = c.preparer().prepare(ClassificationRequest.of(benign, tax), CategoryMode.NONE);
    PromptPreparer.Prepared bad = c.preparer().prepare(ClassificationRequest.of(fuzzed, tax), CategoryMode.NONE);
    Set<Long> sp = SPECIALS.get(family);
    assertTrue(specials(bad.judged(), sp).isEmpty(), family + ": special id inside the judged content");
    assertTrue(specials(bad.head(), sp).equals(specials(good.head(), sp)), family + ": special ids in the context");
    assertArrayEquals(good.plan().prefix(), bad.plan().prefix(), family + ": prefix changed");
    assertArrayEquals(good.plan().suffixes().get(0), bad.plan().suffixes().get(0), family + ": suffix changed");
    assertEquals(specials(ids(good), sp), specials(ids(bad), sp), family + ": template special ids changed");
  }

  private static long[] ids(PromptPreparer.Prepared p) {
    return PromptEncoder.concat(p.plan().prefix(), p.head(), p.judged(), p.plan().suffixes().get(0), p.plan().chain());
  }

  private static List<Long> specials(long[] ids, Set<Long> sp) {
    List<Long> out = new ArrayList<>();
    for (long id : ids) {
      if (sp.contains(id)) {
        out.add(id);
      }
    }
    return out;
  }
}
