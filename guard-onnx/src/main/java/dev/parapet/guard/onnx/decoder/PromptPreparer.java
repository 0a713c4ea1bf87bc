package dev.parapet.guard.onnx.decoder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a request into token ids for one family: the {@link Plan} of (taxonomy, target, mode), resolved once and
 * kept in a bounded cache, and the conversation's ids cut to fit the context ({@link #prepare}). No model: the
 * local decoder and the remote backend ({@link DecoderPrompts}) share it. Thread-safe.
 */
final class PromptPreparer {
  /** Plans are small and cheap to rebuild; the bound only keeps a stream of ad-hoc taxonomies from growing it. */
  static final int MAX_PLANS = 256;

  private final GuardFamily family;
  private final PromptFormat format;
  private final PromptEncoder encoder;
  private final int maxContext;
  // LRU-ish eviction (Caffeine's W-TinyLFU) instead of clearing every plan at once when full; maintenance runs on
  // the calling thread, so eviction needs no pool and is done when put returns
  private final Cache<PlanKey, Plan> plans =
      Caffeine.newBuilder().maximumSize(MAX_PLANS).executor(Runnable::run).build();

  private record PlanKey(String taxonomyHash, String taxonomyName, Target target, CategoryMode mode) {}

  /**
   * A request turned into ids.
   *
   * @param head earlier turns and the judged turn's label
   * @param judged the judged text and the trailer (cut head+tail when over budget)
   * @param truncation how the conversation was cut, or null
   * @param contextTokens tokens of the earlier turns kept (without the label)
   */
  record Prepared(Plan plan, Target target, long[] head, long[] judged, Truncation truncation, int contextTokens) {}

  PromptPreparer(GuardFamily family, ContentTokenizer tokenizer, int maxContext) {
    this.family = family;
    this.format = PromptFormat.of(family);
    this.encoder = new PromptEncoder(tokenizer);
    this.maxContext = maxContext;
  }

  PromptEncoder encoder() {
    return encoder;
  }

  PromptFormat format() {
    return format;
  }

  int maxContextTokens() {
    return maxContext;
  }

  /**
   * The plan for (taxonomy, target, mode), resolved once and cached (bounded).
   *
   * @throws ClassificationException for a taxonomy with no categories where categories are judged
   * @throws IllegalArgumentException when the options cannot be told apart by one logit read
   */
  Plan plan(Taxonomy taxonomy, Target target, CategoryMode mode) {
    PlanKey key = new PlanKey(taxonomy.hash(), taxonomy.name(), target, mode);
    Plan p = plans.getIfPresent(key);
    if (p == null) {
      if (taxonomy.size() == 0 && (mode != CategoryMode.NONE || format.onePromptPerCategory())) {
        throw new ClassificationException("taxonomy " + taxonomy.name() + " has no categories to judge");
      }
      // resolved outside the cache's lock: a failing taxonomy throws to its caller and caches nothing
      p = Plan.resolve(format, encoder, taxonomy, target, mode);
      plans.put(key, p);
    }
    return p;
  }

  /** Plans held now (for the bound's test). */
  long cachedPlans() {
    plans.cleanUp();
    return plans.estimatedSize();
  }

  /** A request turned into ids, the conversation cut to fit {@code maxContextTokens}. */
  Prepared prepare(ClassificationRequest request, CategoryMode mode) {
    Conversation c = request.conversation();
    Target target = c.target();
    Plan plan;
    try {
      plan = plan(request.taxonomy(), target, mode);
    } catch (IllegalArgumentException e) {
      throw new ClassificationException("taxonomy " + request.taxonomy().name() + ": " + e.getMessage(), e);
    }
    List<Turn> turns = c.turns();
    List<List<Segment>> groups = format.head(turns.subList(0, turns.size() - 1), target);
    List<long[]> groupIds = new ArrayList<>();
    for (List<Segment> g : groups) {
      groupIds.add(encoder.encode(g));
    }
    long[] judged = encodeJudged(turns.get(turns.size() - 1).text());
    long[] label = groupIds.isEmpty() ? new long[0] : groupIds.remove(groupIds.size() - 1);
    int fixed = plan.prefix().length + label.length + plan.maxSuffixLength() + plan.chain().length;
    for (long[] p : plan.exactPrefixes()) {
      fixed = Math.max(fixed, p.length + label.length + plan.maxSuffixLength() + plan.chain().length);
    }
    int budget = maxContext - fixed;
    if (budget < 8) {
      throw new ClassificationException("the " + family.id() + " prompt for taxonomy " + request.taxonomy().name()
          + " takes " + fixed + " tokens, leaving " + budget + " of maxContextTokens=" + maxContext
          + " for the conversation; raise maxContextTokens or use fewer categories");
    }
    int context = 0;
    for (long[] g : groupIds) {
      context += g.length;
    }
    long original = context + judged.length;
    Truncation truncation = null;
    if (original > budget) {
      boolean dropped = false;
      // drop the oldest turns, but keep the one right before the judged turn (the prompt a response answers)
      while (groupIds.size() > 1 && context + judged.length > budget) {
        context -= groupIds.remove(0).length;
        dropped = true;
      }
      boolean cut = false;
      if (judged.length > budget - context) {
        judged = headTail(judged, budget - context);
        cut = true;
      }
      Truncation.Strategy strategy = dropped && cut ? Truncation.Strategy.DROP_OLDEST_TURNS_HEAD_TAIL
          : dropped ? Truncation.Strategy.DROP_OLDEST_TURNS : Truncation.Strategy.HEAD_TAIL;
      truncation = new Truncation(original, context + judged.length, Truncation.Unit.TOKENS, strategy);
    }
    groupIds.add(label);
    return new Prepared(plan, target, PromptEncoder.concat(groupIds.toArray(new long[0][])), judged, truncation,
        context);
  }

  /** The judged text and the fixed trailer, as one run. */
  long[] encodeJudged(String text) {
    return encoder.encode(Segment.content(format.judgedContent(text)), Segment.template(format.trailer()));
  }

  /** The first half and the last half of {@code keep} tokens (the middle is skipped). */
  static long[] headTail(long[] ids, int keep) {
    int head = keep / 2;
    int tail = keep - head;
    long[] out = new long[keep];
    System.arraycopy(ids, 0, out, 0, head);
    System.arraycopy(ids, ids.length - tail, out, head, tail);
    return out;
  }
}
