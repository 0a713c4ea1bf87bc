package dev.parapet.guard.remote;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.decoder.CategoryMode;
import dev.parapet.guard.onnx.decoder.DecoderPrompts;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A guard model (Llama Guard 3/4, Qwen3Guard-Gen, ShieldGemma) served by vLLM or another OpenAI-compatible
 * {@code /v1/completions} server, used as a {@link Classifier}.
 *
 * <pre>{@code
 * try (RemoteGuardClassifier remote = RemoteGuardClassifier.builder()
 *         .baseUrl("http://gpu-box:8000")
 *         .model("meta-llama/Llama-Guard-3-8B")           // vLLM's served model name
 *         .tokenizerDir(Path.of("models/llama-guard-3-8b")) // its tokenizer.json (+ parapet-model.json)
 *         .family(GuardFamily.LLAMA_GUARD_3)
 *         .build();
 *     Guard guard = Guard.builder().classifier(remote).taxonomy(Taxonomies.llamaGuard3()).build()) {
 *   Verdict v = guard.checkPrompt("...");
 * }
 * }</pre>
 *
 * <p><b>Prompts stay on our side.</b> The family's template is rendered and tokenized here, with the same code as
 * the local decoder ({@link DecoderPrompts}): user and assistant text are tokenized with special-token matching
 * off, and the prompt goes on the wire as a list of token ids, so {@code <|eot_id|>} typed by a user cannot change
 * the prompt's structure on the server either.
 *
 * <p><b>Scores come from log-probabilities, never from generated text.</b> Each decision is one request with
 * {@code max_tokens: 1} and {@code logprobs: k}: P(unsafe) is the softmax over the answer tokens at the answer
 * position; category scores are read after a teacher-forced unsafe answer (a second request that shares every
 * token of the first but the forced answer, so vLLM's prefix cache serves it). ShieldGemma sends one request per
 * category policy. The reads of a request, and of a batch, go out concurrently. A decision token missing from the
 * top-k gets the lowest returned log-probability (an upper bound); a read with none of them fails.
 *
 * <p><b>Failures</b> are {@link ClassificationException}s with the reason (refused, reset, timeout, 5xx, 429 after
 * retries, malformed response, circuit open), so the {@code Guard}'s failure mode decides (closed: BLOCK). Only
 * 429 and 503 are retried, honouring Retry-After. After {@code breakerWindow} reads of which half failed, the
 * circuit opens: reads fail at once for {@code openFor}, then one probe read decides whether it closes again.
 *
 * <p><b>Not incremental.</b> A streaming session re-sends the whole prompt per check: the server keeps no state we
 * could extend, and with {@code --enable-prefix-caching} vLLM already reuses the KV blocks of the unchanged
 * prompt, so an {@code IncrementalClassifier} here would add client state without saving server work.
 *
 * <p>Thread-safe: share one instance. Owns a tokenizer and a worker pool: close it. No network at build time.
 */
public final class RemoteGuardClassifier implements Classifier {
  private final DecoderPrompts prompts;
  private final ContentTokenizer tokenizer;
  private final CompletionsClient client;
  private final ThreadPoolExecutor pool;
  private final ClassifierInfo info;
  private final RemoteSettings settings;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RemoteGuardClassifier(DecoderPrompts prompts, ContentTokenizer tokenizer, Taxonomy taxonomy,
      RemoteSettings settings) {
    this.prompts = prompts;
    this.tokenizer = tokenizer;
    this.settings = settings;
    this.client = new CompletionsClient(settings);
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(settings.maxConcurrency(), settings.maxConcurrency(), 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(settings.maxQueued()), r -> {
          Thread t = new Thread(r, "parapet-remote-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    String mode = prompts.categoryMode() == CategoryMode.TEACHER_FORCED ? ""
        : "+" + prompts.categoryMode().name().toLowerCase(Locale.ROOT);
    this.info = new ClassifierInfo(prompts.family().id() + "@remote:" + settings.model() + mode, taxonomy,
        prompts.capabilities(), prompts.maxContextTokens(), "remote " + settings.endpoint());
  }

  /** A builder; {@code baseUrl}, {@code model} and {@code tokenizerDir} are required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ClassifierInfo info() {
    return info;
  }

  /** The family whose prompt format is used. */
  public GuardFamily family() {
    return prompts.family();
  }

  /** The completions endpoint requests go to, e.g. {@code http://gpu-box:8000/v1/completions}. */
  public URI endpoint() {
    return settings.endpoint();
  }

  CircuitBreaker.State breakerState() {
    return client.breakerState();
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    requireNonNull(request, "request");
    return classifyBatch(List.of(request)).get(0);
  }

  /**
   * Sends the reads of all requests concurrently (at most {@code maxConcurrency} in flight for this classifier)
   * and waits for all. Fails as a whole with the first failure's reason; the other reads are cancelled.
   */
  @Override
  public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    requireNonNull(requests, "requests");
    checkOpen();
    List<DecoderPrompts.Rendered> rendered = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      rendered.add(prompts.render(requireNonNull(requests.get(i), "requests[" + i + "]")));
    }
    List<List<Future<double[]>>> futures = new ArrayList<>();
    List<Cancellation.Registration> registrations = new ArrayList<>();
    try {
      for (int i = 0; i < requests.size(); i++) {
        Cancellation c = requests.get(i).cancellation();
        List<Future<double[]>> mine = new ArrayList<>();
        for (DecoderPrompts.Read read : rendered.get(i).reads()) {
          mine.add(submit(read, c));
        }
        futures.add(mine);
        registrations.add(c.onCancel(() -> mine.forEach(f -> f.cancel(true))));
      }
      List<Scores> out = new ArrayList<>(requests.size());
      for (int i = 0; i < requests.size(); i++) {
        List<Future<double[]>> mine = futures.get(i);
        double[][] lp = new double[mine.size()][];
        for (int k = 0; k < lp.length; k++) {
          lp[k] = await(mine.get(k), requests.get(i).cancellation());
        }
        out.add(rendered.get(i).scores(lp));
      }
      return out;
    } finally {
      registrations.forEach(Cancellation.Registration::close);
      futures.forEach(list -> list.forEach(f -> f.cancel(true))); // no-op for the finished ones
    }
  }

  private Future<double[]> submit(DecoderPrompts.Read read, Cancellation c) {
    try {
      return pool.submit(() -> client.read(read, c));
    } catch (RejectedExecutionException e) {
      if (closed.get()) {
        throw new IllegalStateException("RemoteGuardClassifier " + info.id() + " is closed", e);
      }
      throw new ClassificationException("remote backend saturated: " + settings.maxConcurrency() + " reads in flight"
          + " and " + settings.maxQueued() + " queued for " + settings.endpoint() + "; raise maxConcurrency or shed"
          + " load", e);
    }
  }

  private static double[] await(Future<double[]> f, Cancellation c) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for the remote guard");
    } catch (CancellationException e) {
      c.throwIfCancelled();
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new ClassificationException("remote read failed: " + cause, cause);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("RemoteGuardClassifier " + info.id() + " is closed");
    }
  }

  /** Stops the worker pool (in-flight reads are interrupted) and releases the tokenizer. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        pool.shutdownNow();
      } finally {
        tokenizer.close();
      }
    }
  }

  /** Builds a {@link RemoteGuardClassifier}; each setter checks its value. Not thread-safe; reusable. */
  public static final class Builder {
    /** Far above any real key; a larger "key file" is the wrong file, not a key. */
    private static final long MAX_KEY_FILE_BYTES = 64 * 1024;

    private String baseUrl;
    private String model;
    private Path tokenizerDir;
    private GuardFamily family;
    private Taxonomy taxonomy;
    private CategoryMode categoryMode = CategoryMode.TEACHER_FORCED;
    private int maxContextTokens = 8192;
    private String apiKey;
    private int topLogprobs = 20;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(30);
    private int maxConcurrency = 16;
    private int maxQueued = 1024;
    private int maxRetries = 3;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private Duration maxRetryAfter = Duration.ofSeconds(30);
    private int breakerWindow = 20;
    private Duration breakerOpenFor = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private CompletionsClient.Sleeper sleeper = d -> Thread.sleep(d.toMillis());

    private Builder() {}

    /** The server root, e.g. {@code http://gpu-box:8000} (a trailing {@code /v1} is accepted). Required. */
    public Builder baseUrl(String url) {
      this.baseUrl = requireNonNull(url, "url");
      endpointOf(url); // fail here, naming the value
      return this;
    }

    /** The served model name (vLLM's {@code --served-model-name}, else the model path it was started with). */
    public Builder model(String name) {
      requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("model name must not be empty");
      }
      this.model = name.strip();
      return this;
    }

    /**
     * A local folder with the served model's {@code tokenizer.json} and, optionally, {@code parapet-model.json}
     * (family and taxonomy; its file list is not checked: the weights live on the server). Required.
     */
    public Builder tokenizerDir(Path dir) {
      this.tokenizerDir = requireNonNull(dir, "dir");
      return this;
    }

    /** The prompt family; default: the {@code family} of the folder's {@code parapet-model.json}. */
    public Builder family(GuardFamily family) {
      this.family = requireNonNull(family, "family");
      return this;
    }

    /** The default taxonomy; default: the manifest's, else the family's native one. */
    public Builder taxonomy(Taxonomy taxonomy) {
      this.taxonomy = requireNonNull(taxonomy, "taxonomy");
      return this;
    }

    /** How categories are read (default TEACHER_FORCED: one extra, prefix-cached read per request). */
    public Builder categoryMode(CategoryMode mode) {
      this.categoryMode = requireNonNull(mode, "mode");
      return this;
    }

    /** The served context length (vLLM {@code --max-model-len}); longer conversations are cut. Default 8192. */
    public Builder maxContextTokens(int n) {
      this.maxContextTokens = check("maxContextTokens", n, 64, 1 << 20);
      return this;
    }

    /** Sent as {@code Authorization: Bearer KEY} (vLLM {@code --api-key}). Default: none. */
    public Builder apiKey(String key) {
      requireNonNull(key, "key");
      if (key.isBlank()) {
        throw new IllegalArgumentException("apiKey must not be blank");
      }
      this.apiKey = key.strip();
      return this;
    }

    /**
     * Reads the API key from {@code file} (UTF-8, surrounding whitespace stripped) and sends it as
     * {@link #apiKey}. The key itself never appears in an error message.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read (the cause is the
     *     {@link IOException}), is empty or whitespace only, or is larger than 64 KiB (not a key file)
     */
    public Builder apiKeyFile(Path file) {
      requireNonNull(file, "file");
      String key;
      try {
        long size = Files.size(file);
        if (size > MAX_KEY_FILE_BYTES) {
          throw new IllegalArgumentException(file + " is " + size + " bytes, more than an API key file holds ("
              + MAX_KEY_FILE_BYTES + " at most); put only the server's API key in it");
        }
        key = Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ": cannot read the API key file (" + e.getClass().getSimpleName()
            + ": " + e.getMessage() + ")", e);
      }
      if (key.isEmpty()) {
        throw new IllegalArgumentException(file + " is empty; put the server's API key in it");
      }
      this.apiKey = key;
      return this;
    }

    /** Top-k log-probabilities asked for, in [1, 100]; vLLM caps it with {@code --max-logprobs} (20). Default 20. */
    public Builder topLogprobs(int k) {
      this.topLogprobs = check("topLogprobs", k, 1, 100);
      return this;
    }

    /** TCP connect timeout. Default 5 s. */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive("connectTimeout", d);
      return this;
    }

    /** Deadline per attempt for the whole response (headers and body). Default 30 s. */
    public Builder readTimeout(Duration d) {
      this.readTimeout = positive("readTimeout", d);
      return this;
    }

    /** Reads in flight at once (the worker pool size), in [1, 1024]. Default 16. */
    public Builder maxConcurrency(int n) {
      this.maxConcurrency = check("maxConcurrency", n, 1, 1024);
      return this;
    }

    /** Reads waiting for a worker before new ones fail as saturated, in [1, 1 << 20]. Default 1024. */
    public Builder maxQueued(int n) {
      this.maxQueued = check("maxQueued", n, 1, 1 << 20);
      return this;
    }

    /** Retries after 429/503, in [0, 10]. Default 3. */
    public Builder maxRetries(int n) {
      this.maxRetries = check("maxRetries", n, 0, 10);
      return this;
    }

    /** Full-jitter backoff bounds when the server sends no Retry-After. Default 100 ms .. 5 s. */
    public Builder retryBackoff(Duration initial, Duration max) {
      positive("initial backoff", initial);
      positive("max backoff", max);
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff " + max + " is below the initial backoff " + initial);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** The longest Retry-After honoured; a longer one fails the read at once. Default 30 s. */
    public Builder maxRetryAfter(Duration d) {
      this.maxRetryAfter = positive("maxRetryAfter", d);
      return this;
    }

    /**
     * The circuit breaker: it opens when at least half of the last {@code windowReads} reads failed on the
     * server's side (connection, timeout, 5xx, 429 after retries, malformed body; not 4xx), stays open for
     * {@code openFor}, then lets one probe read through. Default 20 reads, 30 s.
     */
    public Builder circuitBreaker(int windowReads, Duration openFor) {
      this.breakerWindow = check("circuit breaker window", windowReads, 1, 10_000);
      this.breakerOpenFor = positive("circuit breaker openFor", openFor);
      return this;
    }

    Builder clock(Clock c) {
      this.clock = requireNonNull(c, "clock");
      return this;
    }

    Builder sleeper(CompletionsClient.Sleeper s) {
      this.sleeper = requireNonNull(s, "sleeper");
      return this;
    }

    /**
     * Loads the tokenizer and checks the family and taxonomy; does not contact the server.
     *
     * @throws IllegalStateException when a required setting is missing
     * @throws ModelLoadException when the folder lacks {@code tokenizer.json}, the family is unknown, or the
     *     tokenizer does not belong to the family
     */
    public RemoteGuardClassifier build() {
      if (baseUrl == null || model == null || tokenizerDir == null) {
        throw new IllegalStateException("RemoteGuardClassifier needs baseUrl(...), model(...) and tokenizerDir(...);"
            + " missing: " + (baseUrl == null ? "baseUrl " : "") + (model == null ? "model " : "")
            + (tokenizerDir == null ? "tokenizerDir" : ""));
      }
      if (!Files.isDirectory(tokenizerDir)) {
        throw new ModelLoadException(tokenizerDir + ": not a directory; point tokenizerDir at a folder holding the"
            + " served model's tokenizer.json");
      }
      Path tokenizerFile = tokenizerDir.resolve("tokenizer.json");
      if (!Files.isRegularFile(tokenizerFile)) {
        throw new ModelLoadException(tokenizerFile + ": missing; copy tokenizer.json from the served model's Hugging"
            + " Face repository into " + tokenizerDir);
      }
      Optional<ModelManifest> manifest = Files.isRegularFile(tokenizerDir.resolve(ModelManifest.FILE_NAME))
          ? Optional.of(ModelManifest.read(tokenizerDir)) : Optional.empty();
      GuardFamily f = family;
      if (f == null) {
        ModelManifest m = manifest.orElseThrow(() -> new ModelLoadException(tokenizerDir + ": no "
            + ModelManifest.FILE_NAME + " to name the family; call family(...) (CLI: --family)"));
        try {
          f = GuardFamily.parse(m.family());
        } catch (IllegalArgumentException e) {
          throw new ModelLoadException(m.source() + ": " + e.getMessage(), e);
        }
      }
      final GuardFamily fam = f;
      Taxonomy tax = taxonomy != null ? taxonomy
          : manifest.map(m -> DecoderPrompts.defaultTaxonomy(m, fam)).orElseGet(fam::nativeTaxonomy);
      ContentTokenizer tok = ContentTokenizer.load(tokenizerFile);
      try {
        DecoderPrompts prompts;
        try {
          prompts = DecoderPrompts.create(fam, tok, categoryMode, maxContextTokens);
          prompts.validate(tax);
        } catch (IllegalArgumentException | ClassificationException e) {
          throw new ModelLoadException(tokenizerFile + ": " + e.getMessage() + " (family " + fam.id() + ")", e);
        }
        RemoteSettings s = new RemoteSettings(endpointOf(baseUrl), model, Optional.ofNullable(apiKey), topLogprobs,
            connectTimeout, readTimeout, maxConcurrency, maxQueued, maxRetries, initialBackoff, maxBackoff,
            maxRetryAfter, breakerWindow, breakerOpenFor, clock, sleeper);
        return new RemoteGuardClassifier(prompts, tok, tax, s);
      } catch (RuntimeException e) {
        tok.close();
        throw e;
      }
    }

    static URI endpointOf(String url) {
      String u = url.strip();
      while (u.endsWith("/")) {
        u = u.substring(0, u.length() - 1);
      }
      if (!u.endsWith("/v1")) {
        u = u + "/v1";
      }
      URI uri;
      try {
        uri = new URI(u + "/completions");
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("baseUrl '" + url + "' is not a URL: " + e.getMessage(), e);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new IllegalArgumentException("baseUrl '" + url + "' must be an http(s) URL with a host, e.g."
            + " http://gpu-box:8000");
      }
      return uri;
    }

    private static int check(String what, int n, int min, int max) {
      if (n < min || n > max) {
        throw new IllegalArgumentException(what + " must be in [" + min + ", " + max + "], was " + n);
      }
      return n;
    }

    private static Duration positive(String what, Duration d) {
      requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
