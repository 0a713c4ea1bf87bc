package dev.parapet.guard.cli;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.decoder.DecoderExportCheck;
import dev.parapet.guard.onnx.decoder.DecoderGuardClassifier;
import dev.parapet.guard.onnx.decoder.DecoderOptions;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.remote.RemoteGuardClassifier;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A loaded guard as the CLI uses it: checks and streaming sessions over a {@link Guard}, which the engine owns
 * and closes. {@link Factory} is how commands get one: {@link #models()} loads the real models, tests pass a
 * factory over a fake classifier. Thread-safe ({@link #check} may be called concurrently); each {@link Stream}
 * is used from one thread.
 */
public final class Engine implements AutoCloseable {
  /** The family name of Parapet's own encoder models (the others are {@link GuardFamily decoder families}). */
  static final String ENCODER_FAMILY = "parapet-encoder";

  private final Guard guard;

  private Engine(Guard guard) {
    this.guard = requireNonNull(guard, "guard");
  }

  /** Wraps a guard; closing the engine closes it. */
  public static Engine of(Guard guard) {
    return new Engine(guard);
  }

  /**
   * A guard over {@code classifier} (owned: closed with the engine) with the taxonomy and policy the options
   * name. The result cache is off: every check measures the classifier.
   */
  public static Engine create(Classifier classifier, EngineOptions options) {
    requireNonNull(classifier, "classifier");
    requireNonNull(options, "options");
    try {
      return new Engine(configure(Guard.builder().classifier(classifier), options).build());
    } catch (RuntimeException e) {
      classifier.close();
      throw e;
    }
  }

  /** The factory over the real models (embedded, model folders, {@code --remote}). */
  public static Factory models() {
    return new Models();
  }

  /** Applies the taxonomy and policy options and turns the cache off. */
  private static Guard.Builder configure(Guard.Builder b, EngineOptions options) {
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

  /** The classifier's id (model and settings). */
  public String modelId() {
    return guard.classifierInfo().id();
  }

  /** The taxonomy checks are judged against. */
  public Taxonomy taxonomy() {
    return guard.taxonomy();
  }

  /** The policy as a spec string. */
  public String policySpec() {
    return guard.policy().toSpec();
  }

  /** Checks a conversation (prompt, or prompt + response). */
  public Verdict check(Conversation conversation) {
    return guard.check(conversation);
  }

  /** Opens a streaming session for the response to {@code prompt} (whose last turn is the user's). */
  public Stream openStream(Conversation prompt, StreamOptions options) {
    return new Stream(guard.openStream(prompt, options));
  }

  @Override
  public void close() {
    guard.close();
  }

  /** A streaming session. Not thread-safe. */
  public static final class Stream implements AutoCloseable {
    private final StreamingSession session;

    private Stream(StreamingSession session) {
      this.session = session;
    }

    /** Feeds the next piece of the response. */
    public Step onToken(String piece) {
      return Step.of(session.onToken(piece));
    }

    /** Ends the response: judges and releases what is still held back (unless stopped). */
    public Step finish() {
      return Step.of(session.finish());
    }

    @Override
    public void close() {
      session.close();
    }
  }

  /**
   * What one step of a stream did.
   *
   * @param stop true when the session said STOP (nothing more will be released)
   * @param released text released to the user by this step (may be empty: held back)
   * @param verdict the verdict behind a STOP, or finish()'s verdict
   * @param withheld on STOP, text received but never released
   */
  public record Step(boolean stop, String released, Optional<Verdict> verdict, String withheld) {
    public Step {
      Objects.requireNonNull(released, "released");
      Objects.requireNonNull(verdict, "verdict");
      Objects.requireNonNull(withheld, "withheld");
    }

    static Step of(StreamDecision d) {
      String withheld = d instanceof StreamDecision.Stop stop ? stop.withheld() : "";
      return new Step(d.isStop(), d.released(), d.verdict(), withheld);
    }
  }

  /** Loads an {@link Engine}; the CLI's one seam for tests (which pass a factory over a fake classifier). */
  @FunctionalInterface
  public interface Factory {
    /**
     * Loads the guard described by {@code options}.
     *
     * @throws IllegalArgumentException for bad options (the message says what to pass instead)
     * @throws dev.parapet.guard.ModelLoadException when the model cannot be loaded
     */
    Engine open(EngineOptions options);

    /**
     * Checks a model folder's export (graph I/O names and shapes against its family) without running it: the
     * lines to print, empty when the family has no such check. Factories over fake classifiers have none.
     *
     * @throws RuntimeException describing what does not match
     */
    default List<String> checkExport(Path dir, String family) {
      return List.of();
    }
  }

  /**
   * The real models: {@code default} is the embedded encoder (from guard-default-model on the classpath); a
   * folder is loaded by its manifest's family ({@code parapet-encoder}, or a decoder family such as
   * {@code llama-guard-3}); with {@code --remote}, a guard model served by vLLM.
   */
  private static final class Models implements Factory {
    @Override
    public Engine open(EngineOptions options) {
      if (options.remote().isPresent()) {
        return create(remote(options, options.remote().get()), options);
      }
      OnnxOptions.Builder onnx = OnnxOptions.builder().device(options.device());
      if (options.threads() > 0) {
        onnx.intraOpThreads(options.threads());
      }
      return create(local(options, onnx.build()), options);
    }

    private static Classifier local(EngineOptions options, OnnxOptions onnx) {
      if (!(options.model() instanceof EngineOptions.Folder folder)) {
        return EncoderGuardClassifier.loadDefault(onnx);
      }
      Path dir = folder.dir();
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--model " + dir + ": not a directory; pass 'default' for "
            + "the embedded model, or a model folder holding model.onnx, tokenizer.json and "
            + ModelManifest.FILE_NAME + " (write one with 'parapet model init DIR --family F')");
      }
      String family = options.family().orElseGet(() -> ModelManifest.read(dir).family());
      if (family.equals(ENCODER_FAMILY)) {
        return EncoderGuardClassifier.load(dir, onnx);
      }
      GuardFamily decoder;
      try {
        decoder = GuardFamily.parse(family);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--model " + dir + ": " + e.getMessage() + " (or " + ENCODER_FAMILY
            + "); set the family in " + ModelManifest.FILE_NAME + " or pass --family", e);
      }
      return DecoderGuardClassifier.load(dir, DecoderOptions.builder().onnx(onnx).family(decoder).build());
    }

    /** {@code --remote URL}: a {@link RemoteGuardClassifier} tokenizing with the {@code --model DIR} files. */
    private static RemoteGuardClassifier remote(EngineOptions options, EngineOptions.Remote remote) {
      if (!(options.model() instanceof EngineOptions.Folder folder)) {
        throw new IllegalArgumentException("--remote needs --model DIR: a folder with the served model's"
            + " tokenizer.json (and optionally parapet-model.json naming its family), so prompts are tokenized here");
      }
      RemoteGuardClassifier.Builder b = RemoteGuardClassifier.builder()
          .baseUrl(remote.url())
          .model(remote.model())
          .tokenizerDir(folder.dir());
      if (options.family().isPresent()) {
        try {
          b.family(GuardFamily.parse(options.family().get()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--family: " + e.getMessage(), e);
        }
      }
      remote.tokenFile().ifPresent(f -> apiKeyFile(b, f));
      // 20 reads: the classifier's default window; the flag only changes how long the breaker stays open.
      remote.breakerOpenFor().ifPresent(d -> b.circuitBreaker(20, d));
      return b.build();
    }

    /** guard-remote's reader, with the flag named in its messages. */
    private static void apiKeyFile(RemoteGuardClassifier.Builder b, Path file) {
      try {
        b.apiKeyFile(file);
      } catch (IllegalArgumentException e) {
        if (e.getCause() instanceof IOException io) {
          throw new IllegalArgumentException("--remote-token-file " + file + ": cannot read: " + io.getMessage(), e);
        }
        throw new IllegalArgumentException("--remote-token-file " + e.getMessage(), e);
      }
    }

    /** Decoder folders: {@link DecoderExportCheck} (summary, then warnings prefixed "WARN "). */
    @Override
    public List<String> checkExport(Path dir, String family) {
      Optional<GuardFamily> decoder = DecoderExportCheck.family(family);
      if (decoder.isEmpty()) {
        return List.of();
      }
      DecoderExportCheck.Result r = DecoderExportCheck.check(dir, decoder.get());
      List<String> lines = new ArrayList<>();
      lines.add(r.summary());
      for (String w : r.warnings()) {
        lines.add("WARN " + w);
      }
      return lines;
    }
  }
}
