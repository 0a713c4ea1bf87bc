package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A guard family's prompt rendered to token ids and its answer read from next-token log-probabilities, without a
 * model: the half of {@link DecoderGuardClassifier} that a remote backend (guard-remote, which sends the ids to a
 * vLLM server) shares with the local one, so both send the same ids and compute the same scores.
 *
 * <p>{@link #render} turns a request into {@link Read}s: each is a complete prompt (policy prefix, conversation,
 * template suffix and the teacher-forced start of the answer) after which ONE next-token distribution is read,
 * and the option tokens compared there. {@link Rendered#scores} turns the options' log-probabilities (or logits:
 * only differences matter) into {@link Scores}, exactly as the local decoder does from its logits. Special-token
 * text in conversation content never becomes a special id (see {@link PromptEncoder}).
 *
 * <p>Public for guard-remote; not part of Parapet's stable API. Thread-safe. Does not own the tokenizer.
 */
public final class DecoderPrompts {
  private final GuardFamily family;
  private final PromptFormat format;
  private final PromptEncoder encoder;
  private final CategoryMode mode;
  private final int maxContext;
  private final Map<PlanKey, Plan> plans = new ConcurrentHashMap<>();

  private record PlanKey(String taxonomyHash, String taxonomyName, Target target, CategoryMode mode) {}

  private DecoderPrompts(GuardFamily family, ContentTokenizer tokenizer, CategoryMode mode, int maxContext) {
    this.family = family;
    this.format = DecoderGuardClassifier.formatFor(family);
    this.encoder = new PromptEncoder(tokenizer);
    this.mode = mode;
    this.maxContext = maxContext;
  }

  /**
   * Prompts of {@code family} tokenized with {@code tokenizer} (the model's own {@code tokenizer.json}).
   *
   * @param mode how categories are read ({@link CategoryMode#TEACHER_FORCED} is the decoder's default)
   * @param maxContextTokens the model's context length as served; longer conversations are cut (head+tail)
   * @throws IllegalArgumentException when the tokenizer lacks a special token the family's template needs (it
   *     belongs to another model family), or {@code maxContextTokens < 64}
   */
  public static DecoderPrompts create(GuardFamily family, ContentTokenizer tokenizer, CategoryMode mode,
      int maxContextTokens) {
    requireNonNull(family, "family");
    requireNonNull(tokenizer, "tokenizer");
    requireNonNull(mode, "mode");
    if (maxContextTokens < 64) {
      throw new IllegalArgumentException("maxContextTokens must be >= 64, was " + maxContextTokens);
    }
    for (String special : DecoderGuardClassifier.formatFor(family).requiredSpecialTokens()) {
      if (!tokenizer.specialTokens().contains(special)) {
        throw new IllegalArgumentException("has no special token " + special + ", which the " + family.id()
            + " prompt needs; this tokenizer belongs to another model family");
      }
    }
    return new DecoderPrompts(family, tokenizer, mode, maxContextTokens);
  }

  /**
   * The taxonomy a model folder's manifest names ({@code "taxonomy"}: a preset such as {@code llama-guard-3} for
   * the 8B), else the family's native one.
   *
   * @throws ModelLoadException when the manifest names an unknown taxonomy
   */
  public static Taxonomy defaultTaxonomy(ModelManifest manifest, GuardFamily family) {
    requireNonNull(manifest, "manifest");
    requireNonNull(family, "family");
    JsonNode t = manifest.json().get("taxonomy");
    if (t == null || !t.isTextual()) {
      return family.nativeTaxonomy();
    }
    String name = t.asText();
    if (name.equals(family.nativeTaxonomy().name())) {
      return family.nativeTaxonomy();
    }
    try {
      return Taxonomies.named(name);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(manifest.source() + ": \"taxonomy\": " + e.getMessage(), e);
    }
  }

  /** The family whose template is rendered. */
  public GuardFamily family() {
    return family;
  }

  /** How categories are read. */
  public CategoryMode categoryMode() {
    return mode;
  }

  /** The context length conversations are cut to fit. */
  public int maxContextTokens() {
    return maxContext;
  }

  /**
   * What scores from these prompts offer: PROMPT, RESPONSE, CUSTOM_TAXONOMY, BATCH, plus CATEGORY_SCORES (unless
   * {@link CategoryMode#NONE} on a one-answer family) and SEVERITY_LEVELS (Qwen3Guard). Not INCREMENTAL: that is
   * a property of a runtime that keeps KV state.
   */
  public Set<Capability> capabilities() {
    Set<Capability> caps = EnumSet.of(Capability.PROMPT, Capability.RESPONSE, Capability.CUSTOM_TAXONOMY,
        Capability.BATCH);
    if (mode != CategoryMode.NONE || format.onePromptPerCategory()) {
      caps.add(Capability.CATEGORY_SCORES);
    }
    if (family == GuardFamily.QWEN3GUARD_GEN) {
      caps.add(Capability.SEVERITY_LEVELS);
    }
    return caps;
  }

  /**
   * Checks that the answers of {@code taxonomy} can be read with this tokenizer, for both targets.
   *
   * @throws IllegalArgumentException naming the options that one logit read cannot tell apart
   */
  public void validate(Taxonomy taxonomy) {
    requireNonNull(taxonomy, "taxonomy");
    for (Target t : Target.values()) {
      plan(taxonomy, t, mode);
    }
  }

  /**
   * One next-token read: the full prompt ids and the option token ids compared in the distribution that follows.
   * Arrays are copies owned by the caller.
   */
  public record Read(long[] promptIds, long[] optionIds) {
    public Read {
      promptIds = promptIds.clone();
      optionIds = optionIds.clone();
    }

    @Override
    public long[] promptIds() {
      return promptIds.clone();
    }

    @Override
    public long[] optionIds() {
      return optionIds.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Read r && Arrays.equals(promptIds, r.promptIds) && Arrays.equals(optionIds, r.optionIds);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(promptIds) + Arrays.hashCode(optionIds);
    }

    @Override
    public String toString() {
      return "Read[" + promptIds.length + " prompt ids, options " + Arrays.toString(optionIds) + "]";
    }
  }

  /** A request's reads and how to turn their answers into scores. Immutable. */
  public final class Rendered {
    private final DecoderGuardClassifier.Prepared prepared;
    private final List<Read> reads;

    private Rendered(DecoderGuardClassifier.Prepared prepared, List<Read> reads) {
      this.prepared = prepared;
      this.reads = List.copyOf(reads);
    }

    /** The reads, in the order {@link #scores} expects their answers; all independent (send them at once). */
    public List<Read> reads() {
      return reads;
    }

    /** Where the conversation was cut to fit the context, if it was. */
    public java.util.Optional<Truncation> truncation() {
      return java.util.Optional.ofNullable(prepared.truncation());
    }

    /**
     * The scores, from each read's option log-probabilities ({@code optionLogprobs[i][k]} for option k of read
     * i; logits work too, only their differences matter).
     *
     * @throws IllegalArgumentException when the shape does not match {@link #reads()}
     * @throws ClassificationException when a value is NaN
     */
    public Scores scores(double[][] optionLogprobs) {
      requireNonNull(optionLogprobs, "optionLogprobs");
      if (optionLogprobs.length != reads.size()) {
        throw new IllegalArgumentException("expected answers for " + reads.size() + " reads, got "
            + optionLogprobs.length);
      }
      float[][] f = new float[reads.size()][];
      for (int i = 0; i < f.length; i++) {
        double[] row = requireNonNull(optionLogprobs[i], "optionLogprobs[" + i + "]");
        if (row.length != reads.get(i).optionIds.length) {
          throw new IllegalArgumentException("read " + i + " has " + reads.get(i).optionIds.length
              + " options, got " + row.length + " values");
        }
        f[i] = new float[row.length];
        for (int k = 0; k < row.length; k++) {
          f[i][k] = (float) row[k];
        }
      }
      Plan plan = prepared.plan();
      int probes = plan.probes().size();
      if (format.onePromptPerCategory()) {
        double[] yes = new double[f.length];
        int unsafe = plan.probes().get(0).probe().unsafeIndex();
        for (int k = 0; k < f.length; k++) {
          yes[k] = DecoderGuardClassifier.softmax(f[k])[unsafe];
        }
        return DecoderGuardClassifier.shieldGemmaScores(plan, yes, prepared.truncation());
      }
      if (mode == CategoryMode.EXACT) {
        float[][][] all = new float[f.length / probes][][];
        for (int r = 0; r < all.length; r++) {
          all[r] = Arrays.copyOfRange(f, r * probes, (r + 1) * probes);
        }
        return DecoderGuardClassifier.exactScores(plan, all, prepared.truncation());
      }
      return DecoderGuardClassifier.toScores(plan, f, prepared.truncation());
    }
  }

  /**
   * The reads for {@code request}: one per probe (Llama Guard, Qwen3Guard: the safe/unsafe answer, then the
   * category after a forced unsafe answer); ShieldGemma: one per category policy; EXACT mode: one per probe for
   * the whole taxonomy and for each category alone.
   *
   * @throws ClassificationException when the taxonomy cannot be rendered or the template leaves no room for the
   *     conversation
   */
  public Rendered render(ClassificationRequest request) {
    requireNonNull(request, "request");
    DecoderGuardClassifier.Prepared p = prepare(request, mode);
    Plan plan = p.plan();
    List<Read> reads = new ArrayList<>();
    List<long[]> prefixes = new ArrayList<>();
    prefixes.add(plan.prefix());
    if (mode == CategoryMode.EXACT && !format.onePromptPerCategory()) {
      prefixes.addAll(plan.exactPrefixes());
    }
    for (long[] prefix : prefixes) {
      for (long[] suffix : format.onePromptPerCategory() ? plan.suffixes() : List.of(plan.suffixes().get(0))) {
        long[] body = PromptEncoder.concat(prefix, p.head(), p.judged(), suffix);
        for (Plan.ResolvedProbe probe : plan.probes()) {
          // the distribution after chain[readOffset] (after the body alone when -1) predicts the option token
          long[] forced = Arrays.copyOf(plan.chain(), probe.readOffset() + 1);
          reads.add(new Read(PromptEncoder.concat(body, forced), probe.optionIds()));
        }
      }
    }
    return new Rendered(p, reads);
  }

  /** The plan for (taxonomy, target, mode), resolved once and cached (bounded). */
  Plan plan(Taxonomy taxonomy, Target target, CategoryMode mode) {
    PlanKey key = new PlanKey(taxonomy.hash(), taxonomy.name(), target, mode);
    Plan p = plans.get(key);
    if (p == null) {
      if (taxonomy.size() == 0 && (mode != CategoryMode.NONE || format.onePromptPerCategory())) {
        throw new ClassificationException("taxonomy " + taxonomy.name() + " has no categories to judge");
      }
      p = Plan.resolve(format, encoder, taxonomy, target, mode);
      if (plans.size() > 256) {
        plans.clear(); // bounded; plans are cheap to rebuild
      }
      plans.put(key, p);
    }
    return p;
  }

  /** A request turned into ids, the conversation cut to fit {@code maxContextTokens}. */
  DecoderGuardClassifier.Prepared prepare(ClassificationRequest request, CategoryMode mode) {
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
      String strategy = dropped && cut ? "drop-oldest-turns+head+tail" : dropped ? "drop-oldest-turns" : "head+tail";
      truncation = new Truncation(original, context + judged.length, "tokens", strategy);
    }
    groupIds.add(label);
    return new DecoderGuardClassifier.Prepared(plan, target, PromptEncoder.concat(groupIds.toArray(new long[0][])), judged, truncation,
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

  PromptEncoder encoder() {
    return encoder;
  }

  PromptFormat format() {
    return format;
  }
}
