package dev.parapet.guard.cli;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.nio.file.Files;
import java.nio.file.Path;

/** An {@link Engine} over a {@link Guard}, which it owns and closes. Thread-safe. */
public final class GuardEngine implements Engine {
  private final Guard guard;

  private GuardEngine(Guard guard) {
    this.guard = requireNonNull(guard, "guard");
  }

  /** Wraps a guard; closing the engine closes it. */
  public static GuardEngine of(Guard guard) {
    return new GuardEngine(guard);
  }

  /**
   * A guard over {@code classifier} (owned: closed with the engine) with the taxonomy and policy the options
   * name. The result cache is off: every check measures the classifier.
   */
  public static GuardEngine create(Classifier classifier, EngineOptions options) {
    requireNonNull(classifier, "classifier");
    requireNonNull(options, "options");
    try {
      return new GuardEngine(configure(Guard.builder().classifier(classifier), options).build());
    } catch (RuntimeException e) {
      classifier.close();
      throw e;
    }
  }

  /** Applies the taxonomy and policy options and turns the cache off. */
  static Guard.Builder configure(Guard.Builder b, EngineOptions options) {
    options.taxonomy().ifPresent(t -> b.taxonomy(resolveTaxonomy(t)));
    options.policy().ifPresent(p -> b.policy(PolicySpec.parse(p)));
    return b.noCache();
  }

  /** A preset name, or a JSON file (a value ending in {@code .json} or naming an existing file). */
  static Taxonomy resolveTaxonomy(String spec) {
    Path p = Path.of(spec);
    if (spec.endsWith(".json") || Files.isRegularFile(p)) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException("--taxonomy " + spec + ": no such file; pass a preset name "
            + "(llama-guard-3, llama-guard-3-1b, aegis-2.0, ailuminate-1.0) or a taxonomy JSON file");
      }
      return Taxonomy.fromJson(p);
    }
    return Taxonomies.named(spec);
  }

  /** The guard (for callers that need more than the engine offers). */
  public Guard guard() {
    return guard;
  }

  @Override
  public String modelId() {
    return guard.classifierInfo().id();
  }

  @Override
  public Taxonomy taxonomy() {
    return guard.taxonomy();
  }

  @Override
  public String policySpec() {
    return guard.policy().toSpec();
  }

  @Override
  public Verdict check(Conversation conversation) {
    return guard.check(conversation);
  }

  @Override
  public Stream openStream(Conversation prompt, StreamOptions options) {
    StreamingSession s = guard.openStream(prompt, options);
    return new Stream() {
      @Override
      public Step onToken(String piece) {
        return step(s.onToken(piece));
      }

      @Override
      public Step finish() {
        return step(s.finish());
      }

      @Override
      public void close() {
        s.close();
      }
    };
  }

  private static Step step(StreamDecision d) {
    String withheld = d instanceof StreamDecision.Stop stop ? stop.withheld() : "";
    return new Step(d.isStop(), d.released(), d.verdict(), withheld);
  }

  @Override
  public void close() {
    guard.close();
  }
}
