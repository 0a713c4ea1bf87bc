package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.List;

/**
 * A guard family's prompt, rendered from a {@link Taxonomy} and a conversation in four parts, split where KV
 * caching happens:
 *
 * <pre>
 * [bos + prefix]            policy text before the conversation: same for every call with a taxonomy + target
 * [turns... judged label]   earlier turns and the label of the judged turn ("Agent:")
 * [judged content+trailer]  the judged text (grows while streaming) and the fixed text right after it
 * [suffix]                  the rest of the template up to where the model answers; ShieldGemma: one per category
 * </pre>
 *
 * followed by the {@link Probe}s: teacher-forced answer text and the options read from the logits.
 * Implementations are stateless and thread-safe.
 */
interface PromptFormat {

  /** The format of {@code family}. */
  static PromptFormat of(GuardFamily family) {
    return switch (family) {
      case LLAMA_GUARD_3, LLAMA_GUARD_4 -> new LlamaGuardFormat(family);
      case QWEN3GUARD_GEN -> new Qwen3GuardFormat();
      case SHIELDGEMMA -> new ShieldGemmaFormat();
    };
  }

  GuardFamily family();

  /**
   * Special tokens the template uses; the model's tokenizer must have each as a special token, otherwise it is a
   * different model family (and the template text would silently become ordinary words).
   */
  List<String> requiredSpecialTokens();

  /** Text the model's tokenizer puts in front of the prompt (Gemma's {@code <bos>}), or "". */
  String bos();

  /** Everything before the first conversation turn. */
  List<Segment> prefix(Taxonomy taxonomy, Target target);

  /**
   * The turns before the judged one (each ending with its separator), then the judged turn's label. Turns the
   * format does not show (SYSTEM, TOOL; ShieldGemma: all but the last exchange) are left out.
   *
   * @param context the turns before the judged one
   * @param target what is judged
   */
  List<List<Segment>> head(List<Turn> context, Target target);

  /**
   * The judged text as it appears in the prompt (with its lead, e.g. a space; trimmed where the template trims),
   * with the template's plain-text section markers neutralized ({@link MarkerText}).
   */
  String judgedContent(String raw);

  /** Template text right after the judged content, tokenized together with it ("\n\n"), or "". */
  String trailer();

  /** What follows the trailer, up to where the model starts answering; ShieldGemma: one per category. */
  List<List<Segment>> suffixes(Taxonomy taxonomy, Target target);

  /** The teacher-forced answer and the options read at the end of each forced piece. */
  List<Probe> probes(Taxonomy taxonomy, Target target, boolean withCategories);

  /** Whether categories are judged by separate prompts (ShieldGemma) rather than read from one answer. */
  default boolean onePromptPerCategory() {
    return false;
  }

  /**
   * One decision read from the logits: append {@code forced} (template text) and compare the next-token logits
   * of {@code options}.
   *
   * @param kind what the options mean
   * @param forced text appended before reading (after any previous probe's forced text)
   * @param options option texts (each tokenized; tokens shared by all options are forced too)
   * @param unsafeIndex for BINARY, the index of the option meaning "unsafe"
   */
  record Probe(Kind kind, String forced, List<String> options, int unsafeIndex) {
    public enum Kind {
      /** safe / unsafe (or No / Yes). */
      BINARY,
      /** Safe, Unsafe, Controversial (in that order). */
      LEVELS,
      /** one option per taxonomy category, in taxonomy order. */
      CATEGORY
    }

    public Probe {
      options = List.copyOf(options);
    }
  }
}
