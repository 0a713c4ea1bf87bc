package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Target;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything about a prompt that depends only on (family, taxonomy, target, mode), tokenized once: prefix ids,
 * suffix ids, and the teacher-forced answer chain with the positions and option tokens to read. Immutable.
 *
 * @param prefix bos + policy prefix ids
 * @param suffixes ids after the judged content's trailer (one per category for ShieldGemma)
 * @param chain the forced answer ids of all probes, in order
 * @param probes the resolved probes
 * @param categoryCodes for the CATEGORY probe (or ShieldGemma's suffixes), the taxonomy code of each option
 * @param exactPrefixes in EXACT mode, one prefix per category (that category alone); empty otherwise
 * @param trailerTokens tokens of the trailer text alone (how much of the judged run may still change)
 */
record Plan(long[] prefix, List<long[]> suffixes, long[] chain, List<ResolvedProbe> probes,
    List<String> categoryCodes, List<long[]> exactPrefixes, int trailerTokens) {

  /**
   * A probe with token ids.
   *
   * @param readOffset index into {@link #chain} of the token whose logits are read, or -1 for "the token before
   *     the chain"
   * @param optionIds the distinguishing token of each option
   */
  record ResolvedProbe(PromptFormat.Probe probe, int readOffset, long[] optionIds) {}

  int maxSuffixLength() {
    int m = 0;
    for (long[] s : suffixes) {
      m = Math.max(m, s.length);
    }
    return m;
  }

  static Plan resolve(PromptFormat format, PromptEncoder enc, Taxonomy taxonomy, Target target, CategoryMode mode) {
    long[] bos = enc.encode(Segment.template(format.bos()));
    long[] prefix = PromptEncoder.concat(bos, enc.encode(format.prefix(taxonomy, target)));
    List<long[]> suffixes = new ArrayList<>();
    for (List<Segment> s : format.suffixes(taxonomy, target)) {
      suffixes.add(enc.encode(s));
    }
    boolean forcedCategories = mode == CategoryMode.TEACHER_FORCED && !format.onePromptPerCategory();
    List<PromptFormat.Probe> probes = format.probes(taxonomy, target, forcedCategories);
    PromptEncoder.LongList chain = new PromptEncoder.LongList();
    List<ResolvedProbe> resolved = new ArrayList<>();
    for (PromptFormat.Probe p : probes) {
      chain.addAll(enc.encode(Segment.template(p.forced())));
      List<long[]> opts = new ArrayList<>();
      for (String o : p.options()) {
        long[] ids = enc.encode(Segment.template(o));
        if (ids.length == 0) {
          throw new IllegalArgumentException("option '" + o + "' encodes to no tokens");
        }
        opts.add(ids);
      }
      // tokens every option starts with are part of the forced answer
      int common = 0;
      while (true) {
        final int c = common;
        boolean same = opts.stream().allMatch(ids -> ids.length > c + 1 && ids[c] == opts.get(0)[c]);
        if (!same) {
          break;
        }
        chain.add(opts.get(0)[c]);
        common++;
      }
      long[] first = new long[opts.size()];
      for (int i = 0; i < opts.size(); i++) {
        first[i] = opts.get(i)[common];
        for (int j = 0; j < i; j++) {
          if (first[j] == first[i]) {
            throw new IllegalArgumentException("options '" + p.options().get(j) + "' and '" + p.options().get(i)
                + "' start with the same token after '" + p.forced() + "', so one logit read cannot tell them"
                + " apart" + (p.kind() == PromptFormat.Probe.Kind.CATEGORY
                    ? "; use CategoryMode.EXACT or rename the categories" : ""));
          }
        }
      }
      resolved.add(new ResolvedProbe(p, chain.size() - 1, first));
    }
    List<String> codes = new ArrayList<>();
    if (format.onePromptPerCategory()) {
      codes.addAll(taxonomy.codes());
    } else if (format instanceof Qwen3GuardFormat) {
      for (Category c : Qwen3GuardFormat.shown(taxonomy, target)) {
        codes.add(c.code());
      }
    } else {
      codes.addAll(taxonomy.codes());
    }
    List<long[]> exact = new ArrayList<>();
    if (mode == CategoryMode.EXACT && !format.onePromptPerCategory()) {
      for (String code : codes) {
        Taxonomy single = Taxonomy.of(taxonomy.name(), List.of(taxonomy.category(code).orElseThrow()));
        exact.add(PromptEncoder.concat(bos, enc.encode(format.prefix(single, target))));
      }
    }
    int trailer = enc.encode(Segment.template(format.trailer())).length;
    return new Plan(prefix, List.copyOf(suffixes), chain.toArray(), List.copyOf(resolved), List.copyOf(codes),
        List.copyOf(exact), trailer);
  }
}
