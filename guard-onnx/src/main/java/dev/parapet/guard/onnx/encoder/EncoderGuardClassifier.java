package dev.parapet.guard.onnx.encoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.Target;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.Optional;

/**
 * The embedded default guard: a fine-tuned MiniLM encoder (int8 ONNX) with a multi-label head over Llama Guard
 * 3's categories. Small and fast (one forward pass of at most {@code maxTokens} tokens per check), no network.
 *
 * <pre>{@code
 * try (Classifier c = EncoderGuardClassifier.loadDefault()) {   // needs dev.parapet:guard-default-model
 *   Scores s = c.classify(ClassificationRequest.of(Conversation.ofPrompt(text), Taxonomies.llamaGuard3()));
 * }
 * }</pre>
 *
 * <h2>Input</h2>
 * The model reads the last user prompt ({@code [CLS] prompt [SEP]}) or, for a response check, the last prompt
 * and the response ({@code [CLS] prompt [SEP] response [SEP]}, the prompt cut head+tail to the manifest's
 * {@code promptTokensInResponse}). Earlier turns are not read. Text is tokenized as content, without special-token
 * matching: typing {@code [SEP]} gives ordinary pieces. Text longer than one input is scored in overlapping
 * windows of half-window stride (all windows go through one {@code classifyBatch} call path), keeping the maximum
 * per output ({@code Truncation(n, n, "tokens", "windows-max")}); a response check whose prompt alone was cut records {@code "head+tail"}.
 *
 * <h2>Scores</h2>
 * <ul>
 *   <li><b>P(unsafe)</b> is the model's calibrated {@code sigmoid(a * logit + b)} ({@code a, b} per output from
 *       the manifest, identity when absent).
 *   <li><b>Model categories.</b> A request category that is one of the model's categories (code {@code S1..S14}
 *       whose name still contains every word of the Llama Guard 3 name, so that {@code aegis-2.0}, which reuses
 *       S-codes for other hazards, is not mapped) gets the joint probability
 *       {@code P(unsafe) * P(category | unsafe)}: the default model's category heads were trained on unsafe
 *       examples only, so alone they are meaningful only when the text is unsafe (a manifest may declare
 *       {@code "categoryProbabilities": "joint"} heads, which are then reported as they are).
 *   <li><b>P(unsafe) when categories are turned off.</b> The model's P(unsafe) covers all its categories. When
 *       the request taxonomy leaves some out, the reported P(unsafe) is the share attributable to the enabled
 *       ones: {@code P(unsafe) * min(1, max over enabled categories / max over all categories)} (of the
 *       category heads' probabilities). If the most likely category is enabled, P(unsafe) is unchanged; if only disabled categories fire, it falls with
 *       them; with no model category enabled it is 0. It never exceeds the model's P(unsafe).
 *   <li><b>Custom categories</b> (not model categories, with {@link dev.parapet.guard.taxonomy.Category#examples()
 *       examples}): scored without retraining, by similarity in the model's fine-tuned embedding space:
 *       {@code sigmoid((cos - c0) / tau)} where {@code cos} is the largest cosine similarity between the judged
 *       text (for a response check: the response alone, in windows) and any example. Unless the manifest fixes
 *       them ({@code customCategory: {c0, tau}}), {@code c0} and {@code tau} are calibrated per category without
 *       labels: halfway between how similar the examples are to each other and how similar a fixed set of 24
 *       unrelated everyday texts is to them (90th percentile), with a width that puts the two about 3 tau
 *       either side (on-topic about 0.95, unrelated about 0.05). The examples (and, once per classifier, the
 *       background texts) are embedded on first use of a taxonomy and cached by {@link Taxonomy#hash()}.
 *       P(unsafe) is then the maximum of the model-category part and the custom scores. Limits: similarity
 *       finds texts <em>about</em> what the examples are about, not intent or stance ("is AcmeCloud good?" and
 *       "AcmeCloud is down" look alike); give several varied examples (5-20; with one example the calibration
 *       has to assume how tight the category is); scores are not calibrated on labelled data, so check the
 *       policy threshold on your own texts.
 *   <li><b>Categories that cannot be scored</b> (not model categories and no examples) are ignored (no score;
 *       a warning is logged once per taxonomy). A taxonomy with categories none of which can be scored is a
 *       configuration error: {@code classify} throws {@link dev.parapet.guard.ClassificationException}. An empty
 *       taxonomy (everything turned off) scores 0.
 * </ul>
 *
 * <h2>Batching</h2>
 * {@link #classifyBatch} runs all rows of all requests (and all windows of a long input) through one call path,
 * sorted by length and grouped so that padding stays small; results come back in request order. Rows share an
 * ONNX Runtime call only when the model is batch-invariant, checked once at load: a dynamically quantized int8
 * model (per-tensor {@code DynamicQuantizeLinear}, as the default model is) picks its activation scale over the
 * whole batch, so a row's scores would depend on its neighbours and on padding (we measured logit shifts of
 * up to 0.9). Such a model runs row by row, a batch gives exactly the single-request scores, and {@code info()} does
 * not claim {@link Capability#BATCH}. Cancelling any request of a batch cancels the batch.
 *
 * <p>Thread-safe: one instance is shared; {@code classify} runs concurrently. {@link #close()} frees the native
 * session and tokenizer (idempotent); calls after close throw {@link IllegalStateException}. Closing while
 * calls run is safe: they are terminated (their native runs end early and they throw
 * {@link java.util.concurrent.CancellationException}) and the native objects are freed when the last returns.
 */
public final class EncoderGuardClassifier implements Classifier {
  /** Where guard-default-model puts the embedded model on the classpath. */
  static final String DEFAULT_RESOURCE_DIR = "dev/parapet/guard/model/default/";

  private final EncoderModel model;
  private final Scorer scorer;
  private final ClassifierInfo info;
  private final EncoderIncremental incremental;

  private EncoderGuardClassifier(EncoderModel model) {
    this.model = model;
    Taxonomy lg3 = Taxonomies.llamaGuard3();
    List<String> drop = new ArrayList<>();
    for (String code : lg3.codes()) {
      if (!model.config.labels.contains(code)) {
        drop.add(code);
      }
    }
    Taxonomy nativeTaxonomy = lg3.without(drop.toArray(String[]::new));
    this.scorer = new Scorer(model, nativeTaxonomy);
    Set<Capability> caps = EnumSet.of(Capability.PROMPT, Capability.RESPONSE, Capability.CATEGORY_SCORES,
        Capability.CUSTOM_TAXONOMY, Capability.INCREMENTAL);
    if (model.batchInvariant) {
      caps.add(Capability.BATCH);
    }
    // the manifest's content hash, not the model file's: it covers the model file (through its listed checksum)
    // and the calibration, labels and thresholds, so an edited manifest never reports the original's id
    this.info = new ClassifierInfo(model.config.name + "@" + model.config.manifestSha256.substring(0, 12),
        nativeTaxonomy, caps, model.config.maxTokens, model.device.toString(),
        // the encoder recipes train on English data only: other languages score near 0 (issue 18) and get the
        // policy's unsupported-language rule instead of a silent ALLOW
        Set.of("en"));
    this.incremental = new EncoderIncremental(this, scorer);
  }

  /** Loads the embedded default model on the CPU with default threads. */
  public static EncoderGuardClassifier loadDefault() {
    return loadDefault(OnnxOptions.defaults());
  }

  /**
   * Loads the embedded default model from the classpath ({@code dev.parapet:guard-default-model}): reads the
   * files into memory, checks each against the SHA-256 and size in its manifest, and creates the session from
   * the bytes (no temporary files, no network).
   *
   * @throws ModelLoadException when the model jar is missing, a file is corrupt, or the model does not match
   *     the manifest
   */
  public static EncoderGuardClassifier loadDefault(OnnxOptions options) {
    requireNonNull(options, "options");
    return loadDefault(options, EncoderGuardClassifier.class.getClassLoader());
  }

  /**
   * Loads the embedded model through {@code cl} (tests hand in loaders without, or with altered, resources).
   *
   * <p>Cold load is dominated by independent steps: the tokenizer (about 500 ms on 2 cores: a streaming pass over
   * the 700 KB JSON, then two native DJL tokenizers), loading ONNX Runtime's native library (about 85 ms from
   * Parapet's cache, 300 ms when ONNX Runtime unpacks it), the first use of Jackson for the manifest (about
   * 250 ms), session creation (about 200 ms) and the SHA-256 of 30 MB (about 160 ms). The tokenizer, the longest, starts first on its own helper thread;
   * the runtime and the model bytes load on a second while this thread parses the manifest; the model's
   * checksum runs on a third while this thread creates the session. Nothing is returned (or left open) unless
   * every check passed: the model's checksum error is reported first, then the tokenizer's checksum error, then
   * whatever error a corrupt file caused while loading; a tokenizer still loading when a step fails is closed
   * when it arrives.
   */
  static EncoderGuardClassifier loadDefault(OnnxOptions options, ClassLoader cl) {
    byte[] manifestBytes = resource(cl, ModelManifest.FILE_NAME);
    CompletableFuture<TokenizerLoad> tokenizerLoad =
        CompletableFuture.supplyAsync(() -> TokenizerLoad.start(cl), EncoderGuardClassifier::loaderThread);
    OrtSessions.Opened opened = null;
    boolean loaded = false;
    try {
      CompletableFuture<byte[]> runtimeAndModel = CompletableFuture.supplyAsync(() -> {
        OrtSessions.environment();
        return resource(cl, EncoderConfig.MODEL_FILE);
      }, EncoderGuardClassifier::loaderThread);
      String source = classpathName(ModelManifest.FILE_NAME);
      ModelManifest manifest = ModelManifest.read(new ByteArrayInputStream(manifestBytes), source);
      manifest.requireSealed();
      EncoderConfig config = EncoderConfig.from(manifest, Taxonomies.llamaGuard3());
      byte[] modelBytes = joinLoad(runtimeAndModel, "loading ONNX Runtime and the embedded model");
      CompletableFuture<Void> modelCheck = CompletableFuture.runAsync(() -> ModelManifest.verifyBytes(
          classpathName(EncoderConfig.MODEL_FILE), modelBytes, manifest.files().get(EncoderConfig.MODEL_FILE)),
          EncoderGuardClassifier::loaderThread);
      RuntimeException sessionError = null;
      try {
        opened = OrtSessions.open(modelBytes, options, "embedded default model");
      } catch (RuntimeException e) { // kept until the checksums are known: a checksum error comes first
        sessionError = e;
      }
      joinLoad(modelCheck, "verifying the embedded model");
      ContentTokenizer tokenizer = joinLoad(tokenizerLoad, "loading the tokenizer of the embedded default model")
          .verified(manifest.files().get(EncoderConfig.TOKENIZER_FILE));
      if (sessionError != null) {
        tokenizer.close();
        throw sessionError;
      }
      EncoderGuardClassifier classifier = new EncoderGuardClassifier(EncoderModel.open(config, tokenizer, opened,
          source));
      loaded = true;
      return classifier;
    } finally {
      if (!loaded) {
        if (opened != null) {
          opened.close();
        }
        tokenizerLoad.thenAccept(TokenizerLoad::close); // now, or when the helper finishes
      }
    }
  }

  /**
   * The embedded tokenizer as read and loaded on a helper thread before the manifest is known: its bytes (or
   * why they could not be read) and the tokenizer (or why it could not be built). {@link #verified} applies the
   * manifest's checksum before handing the tokenizer out.
   */
  private record TokenizerLoad(byte[] bytes, ContentTokenizer tokenizer, RuntimeException error) {
    static final String SOURCE = classpathName(EncoderConfig.TOKENIZER_FILE);

    static TokenizerLoad start(ClassLoader cl) {
      byte[] bytes;
      try {
        bytes = resource(cl, EncoderConfig.TOKENIZER_FILE);
      } catch (RuntimeException e) {
        return new TokenizerLoad(null, null, e);
      }
      try {
        return new TokenizerLoad(bytes, ContentTokenizer.load(new ByteArrayInputStream(bytes), SOURCE), null);
      } catch (RuntimeException e) {
        return new TokenizerLoad(bytes, null, e);
      }
    }

    /** The tokenizer, once its bytes match {@code expected}; closes it and throws otherwise. */
    ContentTokenizer verified(ModelManifest.FileEntry expected) {
      try {
        if (bytes == null) {
          throw error;
        }
        ModelManifest.verifyBytes(SOURCE, bytes, expected);
        if (error != null) {
          throw error;
        }
        return tokenizer;
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    void close() {
      if (tokenizer != null) {
        tokenizer.close();
      }
    }
  }

  /** How messages name an embedded model file. */
  private static String classpathName(String file) {
    return "classpath:" + DEFAULT_RESOURCE_DIR + file;
  }

  /** The helper's result, or its RuntimeException as thrown there; an Error becomes a ModelLoadException. */
  private static <T> T joinLoad(CompletableFuture<T> f, String what) {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new ModelLoadException(what + " failed: " + cause, cause);
    }
  }

  private static void loaderThread(Runnable task) {
    Thread t = new Thread(task, "parapet-default-model-loader");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Loads an encoder model folder ({@code model.onnx}, {@code tokenizer.json}, {@code parapet-model.json} with
   * family {@code parapet-encoder}) after verifying every file listed in the manifest.
   *
   * @throws ModelLoadException for a missing or corrupt file or a model that does not match its manifest
   */
  public static EncoderGuardClassifier load(Path modelDir, OnnxOptions options) {
    requireNonNull(modelDir, "modelDir");
    requireNonNull(options, "options");
    ModelManifest manifest = ModelManifest.read(modelDir);
    EncoderConfig config = EncoderConfig.from(manifest, Taxonomies.llamaGuard3());
    manifest.verify(modelDir);
    ContentTokenizer tokenizer = ContentTokenizer.load(modelDir.resolve(EncoderConfig.TOKENIZER_FILE));
    OrtSessions.Opened opened;
    try {
      opened = OrtSessions.open(modelDir.resolve(EncoderConfig.MODEL_FILE), options, "encoder model");
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
    return new EncoderGuardClassifier(EncoderModel.open(config, tokenizer, opened, manifest.source()));
  }

  private static byte[] resource(ClassLoader cl, String file) {
    String name = DEFAULT_RESOURCE_DIR + file;
    try (InputStream in = cl == null ? ClassLoader.getSystemResourceAsStream(name) : cl.getResourceAsStream(name)) {
      if (in == null) {
        throw new ModelLoadException("classpath resource " + name + " not found: the embedded default model is"
            + " not on the classpath. Add the dependency dev.parapet:guard-default-model (same version as"
            + " guard-onnx), or load a model folder with EncoderGuardClassifier.load(Path, OnnxOptions)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new ModelLoadException("cannot read classpath resource " + name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ClassifierInfo info() {
    return info;
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    requireNonNull(request, "request");
    return classifyBatch(List.of(request)).get(0);
  }

  @Override
  public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    requireNonNull(requests, "requests");
    checkOpen();
    if (requests.isEmpty()) {
      return List.of();
    }
    // The lease keeps the native session and tokenizer alive until this call returns, even if close() runs
    // meanwhile (close then terminates the native run: CancellationException).
    try (EncoderModel.Lease lease = model.lease()) {
      return classifyLeased(requests);
    }
  }

  private List<Scores> classifyLeased(List<ClassificationRequest> requests) {
    List<Scorer.Job> jobs = new ArrayList<>(requests.size());
    for (ClassificationRequest r : requests) {
      requireNonNull(r, "request");
      r.cancellation().throwIfCancelled();
      jobs.add(job(r));
    }
    if (requests.size() == 1) {
      return scorer.score(jobs, requests.get(0).cancellation());
    }
    Cancellation batch = Cancellation.create();
    List<Cancellation.Registration> regs = new ArrayList<>(requests.size());
    try {
      for (ClassificationRequest r : requests) {
        regs.add(r.cancellation().onCancel(batch::cancel));
      }
      return scorer.score(jobs, batch);
    } finally {
      regs.forEach(Cancellation.Registration::close);
    }
  }

  private Scorer.Job job(ClassificationRequest r) {
    TaxonomyPlan plan = scorer.plan(r.taxonomy(), r.cancellation());
    long[] prompt = model.tokenizer.encodeContent(r.conversation().lastPrompt());
    if (r.target() == Target.PROMPT) {
      return scorer.promptJob(plan, prompt);
    }
    long[] response = model.tokenizer.encodeContent(r.conversation().last().text());
    return scorer.responseJob(plan, prompt, response);
  }

  /**
   * A windowed streaming view: each {@code score()} scores every window (prompt segment + at most
   * {@code maxTokens - 3 - promptTokens} response tokens) that the text added since the previous score touched,
   * so a check costs in proportion to the new text and no released token goes unread (see
   * {@link EncoderIncremental}). While the response fits one window the score equals {@link #classify}'s
   * response check; past that it records {@code Truncation(strategy = }{@link IncrementalClassifier#PARTIAL_SCORE}
   * {@code )}. The response is tokenized delta by delta, re-tokenizing only the trailing partial word, so ids
   * equal whole-text tokenization.
   */
  @Override
  public Optional<IncrementalClassifier> incremental() {
    checkOpen();
    return Optional.of(incremental);
  }

  void checkOpen() {
    if (model.isClosed()) {
      throw new IllegalStateException("EncoderGuardClassifier " + info.id() + " is closed");
    }
  }

  /** For tests in this package. */
  EncoderModel model() {
    return model;
  }

  Scorer scorer() {
    return scorer;
  }

  @Override
  public void close() {
    model.close();
  }

  @Override
  public String toString() {
    return "EncoderGuardClassifier[" + info.id() + ", " + info.device() + "]";
  }
}
