package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.testing.RealTokenizers;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real tokenizers (loaded once per JVM, closed by a shutdown hook: DJL frees native memory on close) and a
 * prompt's ids as {@link DecoderGuardClassifier#prepare} assembles them, without truncation.
 */
final class RealPrompts {
  private static final Map<String, ContentTokenizer> LOADED = new ConcurrentHashMap<>();

  private RealPrompts() {}

  /** The tokenizer a family's guard models use (Gemma 3's for ShieldGemma: the closest available). */
  static String tokenizerFor(GuardFamily family) {
    return switch (family) {
      case LLAMA_GUARD_3 -> RealTokenizers.LLAMA3_1;
      case QWEN3GUARD_GEN -> RealTokenizers.QWEN3;
      case SHIELDGEMMA -> RealTokenizers.GEMMA3;
      case LLAMA_GUARD_4 -> throw new IllegalArgumentException("no Llama 4 tokenizer is available offline");
    };
  }

  /** Skips the calling test when the tokenizer was not fetched. */
  static ContentTokenizer tokenizer(String name) {
    java.nio.file.Path json = RealTokenizers.require(name);
    return LOADED.computeIfAbsent(name, n -> {
      ContentTokenizer t = ContentTokenizer.load(json);
      Runtime.getRuntime().addShutdownHook(new Thread(t::close));
      return t;
    });
  }

  /** The pieces of one prompt, as ids. */
  record Ids(long[] prefix, long[] head, long[] judged, long[] suffix, Plan plan) {
    long[] all() {
      return PromptEncoder.concat(prefix, head, judged, suffix);
    }
  }

  static Ids ids(PromptFormat f, PromptEncoder enc, Conversation c, Taxonomy t, int suffix, CategoryMode mode) {
    Target target = c.target();
    Plan plan = Plan.resolve(f, enc, t, target, mode);
    List<Turn> turns = c.turns();
    List<long[]> head = new ArrayList<>();
    for (List<Segment> g : f.head(turns.subList(0, turns.size() - 1), target)) {
      head.add(enc.encode(g));
    }
    long[] judged = enc.encode(Segment.content(f.judgedContent(turns.get(turns.size() - 1).text())),
        Segment.template(f.trailer()));
    return new Ids(plan.prefix(), PromptEncoder.concat(head.toArray(new long[0][])), judged,
        plan.suffixes().get(suffix), plan);
  }
}
