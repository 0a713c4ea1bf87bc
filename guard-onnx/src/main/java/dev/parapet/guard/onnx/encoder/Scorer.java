package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns model outputs into {@link Scores} for a request taxonomy. Thread-safe: the only mutable state is the
 * bounded plan cache (a {@link ConcurrentHashMap} owned by one classifier) and the lazily computed background
 * embeddings for custom categories.
 */
final class Scorer {
  private static final System.Logger LOG = System.getLogger(Scorer.class.getName());
  /** Plans kept per classifier; the cache is cleared when it grows past this (taxonomies rarely vary). */
  static final int MAX_PLANS = 64;

  final EncoderModel model;
  final Taxonomy nativeTaxonomy;
  private final Map<String, TaxonomyPlan> plans = new ConcurrentHashMap<>();
  /** Embeddings of {@link Prototypes#BACKGROUND}, computed on first use. */
  private volatile float[][] background;

  Scorer(EncoderModel model, Taxonomy nativeTaxonomy) {
    this.model = model;
    this.nativeTaxonomy = nativeTaxonomy;
  }

  /**
   * The rows to run for one check and how to read them back.
   *
   * @param main rows whose logits are scored (one per window), max per output
   * @param custom rows whose embeddings feed custom categories; {@code null} when the main rows serve
   * @param truncation how a long input was read, or {@code null} when it fit
   */
  record Job(TaxonomyPlan plan, List<Layout.Seq> main, List<Layout.Seq> custom, Truncation truncation) {}

  TaxonomyPlan plan(Taxonomy taxonomy, Cancellation cancellation) {
    String key = taxonomy.hash();
    TaxonomyPlan p = plans.get(key);
    if (p != null) {
      return p;
    }
    p = TaxonomyPlan.build(taxonomy, nativeTaxonomy, model.config.labels,
        examples -> embedExamples(examples, cancellation));
    if (!p.unscored.isEmpty()) {
      LOG.log(Level.WARNING, "taxonomy {0}: categories {1} are neither model categories ({2}) nor have examples;"
          + " the encoder cannot score them and ignores them. Add examples to score them by similarity",
          taxonomy.name(), p.unscored, nativeTaxonomy.codes());
    }
    if (plans.size() >= MAX_PLANS) {
      plans.clear();
    }
    plans.put(key, p);
    return p;
  }

  private Prototypes embedExamples(List<String> examples, Cancellation cancellation) {
    float[][] emb = embedTexts(examples, cancellation);
    EncoderConfig cfg = model.config;
    if (!Double.isNaN(cfg.customC0)) {
      return Prototypes.fixed(emb, cfg.customC0, cfg.customTau);
    }
    return Prototypes.calibrated(emb, background(cancellation));
  }

  private float[][] background(Cancellation cancellation) {
    float[][] b = background;
    if (b == null) {
      synchronized (this) {
        b = background;
        if (b == null) {
          b = embedTexts(Prototypes.BACKGROUND, cancellation);
          background = b;
        }
      }
    }
    return b;
  }

  /** Embeddings of texts as prompt checks (head+tail cut to one input), L2-normalized. */
  private float[][] embedTexts(List<String> texts, Cancellation cancellation) {
    List<Layout.Seq> rows = new ArrayList<>(texts.size());
    for (String e : texts) {
      long[] ids = Layout.headTail(model.tokenizer.encodeContent(e), model.layout.maxTokens - 2);
      rows.add(model.layout.single(ids, 0, ids.length));
    }
    float[][] emb = model.run(rows, cancellation).embeddings();
    for (float[] v : emb) {
      normalize(v);
    }
    return emb;
  }

  Job promptJob(TaxonomyPlan plan, long[] prompt) {
    List<Layout.Seq> rows = model.layout.promptCheck(prompt);
    Truncation t = rows.size() > 1 ? new Truncation(prompt.length, prompt.length, Truncation.Unit.TOKENS, Truncation.Strategy.WINDOWS_MAX) : null;
    return new Job(plan, rows, null, t);
  }

  Job responseJob(TaxonomyPlan plan, long[] prompt, long[] response) {
    Layout layout = model.layout;
    long[] seg = layout.promptSegment(prompt);
    List<Layout.Seq> rows = layout.responseCheck(seg, response);
    long original = (long) prompt.length + response.length;
    long kept = (long) seg.length + response.length;
    Truncation t = null;
    if (rows.size() > 1) {
      t = new Truncation(original, kept, Truncation.Unit.TOKENS, Truncation.Strategy.WINDOWS_MAX);
    } else if (seg.length < prompt.length) {
      t = new Truncation(original, kept, Truncation.Unit.TOKENS, Truncation.Strategy.HEAD_TAIL);
    }
    List<Layout.Seq> custom = plan.hasCustom ? layout.promptCheck(response) : null;
    return new Job(plan, rows, custom, t);
  }

  /** Runs every job's rows in one {@link EncoderModel#run} and scores each job. */
  List<Scores> score(List<Job> jobs, Cancellation cancellation) {
    List<Layout.Seq> all = new ArrayList<>();
    for (Job j : jobs) {
      all.addAll(j.main());
      if (j.custom() != null) {
        all.addAll(j.custom());
      }
    }
    EncoderModel.Outputs out = model.run(all, cancellation);
    List<Scores> scores = new ArrayList<>(jobs.size());
    int at = 0;
    for (Job j : jobs) {
      int mainFrom = at;
      at += j.main().size();
      int customFrom = mainFrom;
      int customTo = at;
      if (j.custom() != null) {
        customFrom = at;
        at += j.custom().size();
        customTo = at;
      }
      scores.add(combine(j, out, mainFrom, mainFrom + j.main().size(), customFrom, customTo));
    }
    return scores;
  }

  /**
   * The scoring rule (documented on {@link EncoderGuardClassifier}): per output, the maximum over windows; then
   * P(unsafe) restricted to the enabled categories, then custom categories.
   */
  Scores combine(Job job, EncoderModel.Outputs out, int mainFrom, int mainTo, int customFrom, int customTo) {
    EncoderConfig cfg = model.config;
    TaxonomyPlan plan = job.plan();
    int n = cfg.labels.size();
    double[] p = new double[n];
    for (int r = mainFrom; r < mainTo; r++) {
      float[] logits = out.logits()[r];
      for (int k = 0; k < n; k++) {
        p[k] = Math.max(p[k], cfg.probability(k, logits[k]));
      }
    }
    if (plan.entries.isEmpty()) {
      return finish(Scores.builder().unsafe(0.0), job);
    }
    if (plan.enabledLabels.length == 0 && !plan.hasCustom) {
      throw new ClassificationException("none of the taxonomy's categories " + plan.unscored + " can be scored by"
          + " the encoder: they are not model categories " + nativeTaxonomy.codes() + " and have no examples."
          + " Add examples to custom categories (Category.withExamples) or use the llama-guard-3 codes");
    }
    Scores.Builder b = Scores.builder();
    double unsafe = restrictedUnsafe(p, plan);
    for (TaxonomyPlan.Entry e : plan.entries) {
      switch (e.kind()) {
        case NATIVE -> b.category(e.category().code(),
            cfg.conditionalCategories ? p[0] * p[e.label()] : p[e.label()]);
        case CUSTOM -> {
          double cos = -1;
          for (int r = customFrom; r < customTo; r++) {
            float[] v = out.embeddings()[r].clone();
            normalize(v);
            cos = Math.max(cos, Prototypes.best(v, e.prototypes().examples, -1));
          }
          double s = e.prototypes().score(cos);
          b.category(e.category().code(), s);
          unsafe = Math.max(unsafe, s);
        }
        case UNSCORED -> {
          // documented: ignored
        }
      }
    }
    return finish(b.unsafe(clamp(unsafe)), job);
  }

  private static Scores finish(Scores.Builder b, Job job) {
    if (job.truncation() != null) {
      b.truncation(job.truncation());
    }
    return b.build();
  }

  /**
   * P(unsafe) attributed to the enabled model categories: {@code P(unsafe) * min(1, max_enabled / max_all)},
   * where the maxima are over the calibrated category probabilities. All enabled: P(unsafe) unchanged; none
   * enabled: 0.
   */
  static double restrictedUnsafe(double[] p, TaxonomyPlan plan) {
    if (plan.allNative) {
      return p[0];
    }
    if (plan.enabledLabels.length == 0) {
      return 0.0;
    }
    double maxAll = 0;
    for (int k = 1; k < p.length; k++) {
      maxAll = Math.max(maxAll, p[k]);
    }
    double maxEnabled = 0;
    for (int k : plan.enabledLabels) {
      maxEnabled = Math.max(maxEnabled, p[k]);
    }
    double ratio = maxAll <= 0 ? 1.0 : Math.min(1.0, maxEnabled / maxAll);
    return p[0] * ratio;
  }

  private static double clamp(double x) {
    return Math.max(0.0, Math.min(1.0, x));
  }

  static void normalize(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    double norm = Math.sqrt(s);
    if (norm > 0) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (v[i] / norm);
      }
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
