package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.Target;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

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
  private final PromptPreparer preparer;
  private final CategoryMode mode;

  private DecoderPrompts(GuardFamily family, ContentTokenizer tokenizer, CategoryMode mode, int maxContext) {
    this.family = family;
    this.preparer = new PromptPreparer(family, tokenizer, maxContext);
    this.format = preparer.format();
    this.mode = mode;
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
    for (String special : PromptFormat.of(family).requiredSpecialTokens()) {
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
   * @throws dev.parapet.guard.ModelLoadException when the manifest names an unknown taxonomy
   */
  public static Taxonomy defaultTaxonomy(ModelManifest manifest, GuardFamily family) {
    return DecoderLoader.defaultTaxonomy(manifest, family);
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
    return preparer.maxContextTokens();
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
      preparer.plan(taxonomy, t, mode);
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
    private final PromptPreparer.Prepared prepared;
    private final List<Read> reads;

    private Rendered(PromptPreparer.Prepared prepared, List<Read> reads) {
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
        for (int k = 0; k < f.length; k++) {
          yes[k] = DecisionScorer.yes(plan, f[k]);
        }
        return DecisionScorer.shieldGemmaScores(plan, yes, prepared.truncation());
      }
      if (mode == CategoryMode.EXACT) {
        float[][][] all = new float[f.length / probes][][];
        for (int r = 0; r < all.length; r++) {
          all[r] = Arrays.copyOfRange(f, r * probes, (r + 1) * probes);
        }
        return DecisionScorer.exactScores(plan, all, prepared.truncation());
      }
      return DecisionScorer.toScores(plan, f, prepared.truncation());
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
    PromptPreparer.Prepared p = preparer.prepare(request, mode);
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

  /** The request preparation the local decoder shares. */
  PromptPreparer preparer() {
    return preparer;
  }
}
