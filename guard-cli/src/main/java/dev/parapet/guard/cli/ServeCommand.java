package dev.parapet.guard.cli;

import dev.parapet.guard.Guard;
import dev.parapet.guard.server.AccessLogFormatter;
import dev.parapet.guard.server.ParapetServer;
import dev.parapet.guard.server.ServerLimits;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "serve", sortOptions = false, header = "Serve Parapet over HTTP (an OpenAI-compatible moderation API).",
    description = {"Starts an HTTP server with POST /v1/moderations (OpenAI's shapes), POST /v1/check, streaming "
        + "sessions under /v1/streams, /healthz, /readyz and /metrics (Prometheus). Binds 127.0.0.1 unless --host "
        + "says otherwise; prints the URL when it is ready; SIGTERM or Ctrl-C stops it gracefully (in-flight "
        + "requests finish).",
        "",
        "Access log: one JSON line per request on stderr, without the texts unless --log-texts."})
final class ServeCommand implements Callable<Integer> {
  @ParentCommand ParapetCommand parent;

  @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Address to bind (0.0.0.0: every interface; then set --token-file). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
      description = "Port (0: a free one, printed). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "Require 'Authorization: Bearer TOKEN', the token being FILE's content (trimmed).")
  Path tokenFile;

  @Option(names = "--log-texts", description = "Include the checked texts in the access log (user data: off by default).")
  boolean logTexts;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
      description = "Model worker threads. Default: ${DEFAULT-VALUE}.")
  int workers;

  @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
      description = "Requests that may wait for a worker; beyond: 429 + Retry-After. Default: ${DEFAULT-VALUE}.")
  int queue;

  @Option(names = "--deadline-ms", paramLabel = "MS", defaultValue = "10000",
      description = "Per-request deadline, queue wait included; then the policy's failure mode decides. Default: ${DEFAULT-VALUE}.")
  long deadlineMs;

  @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "1048576",
      description = "Largest request body (413 beyond). Default: ${DEFAULT-VALUE}.")
  long maxBodyBytes;

  @Option(names = "--max-text-chars", paramLabel = "N", defaultValue = "32000",
      description = "Longest single text (400 beyond). Default: ${DEFAULT-VALUE}.")
  int maxTextChars;

  @Option(names = "--max-inputs", paramLabel = "N", defaultValue = "64",
      description = "Most texts per moderation request / turns per check. Default: ${DEFAULT-VALUE}.")
  int maxInputs;

  @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "256",
      description = "Open streaming sessions (429 beyond). Default: ${DEFAULT-VALUE}.")
  int maxSessions;

  @Option(names = "--session-idle-seconds", paramLabel = "S", defaultValue = "120",
      description = "An idle streaming session is closed after S seconds. Default: ${DEFAULT-VALUE}.")
  long sessionIdleSeconds;

  @Option(names = "--shutdown-timeout-seconds", paramLabel = "S", defaultValue = "30",
      description = "How long a graceful stop waits for in-flight requests. Default: ${DEFAULT-VALUE}.")
  long shutdownSeconds;

  @Option(names = "--cache-size", paramLabel = "N", defaultValue = "10000",
      description = "Result cache entries (0: no cache). Default: ${DEFAULT-VALUE}.")
  long cacheSize;

  @Mixin ModelOptions model;

  @Override
  public Integer call() throws Exception {
    ServerLimits limits = limits();
    String token = readToken();
    Engine engine = parent.open(model.toEngineOptions());
    ParapetServer server;
    Guard guard = null;
    try {
      // The CLI's engines run without a cache (so eval measures the model); a server wants one.
      Guard.Builder b = engine.guard().newBuilder();
      guard = (cacheSize > 0 ? b.cache(cacheSize) : b.noCache()).build();
      configureAccessLog();
      ParapetServer.Builder sb = ParapetServer.builder(guard).host(host).port(port).limits(limits).logTexts(logTexts);
      if (token != null) {
        sb.token(token);
      }
      server = sb.build().start();
    } catch (RuntimeException e) {
      if (guard != null) {
        guard.close();
      }
      engine.close();
      throw e;
    }
    Guard served = guard;
    PrintWriter out = parent.out();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close(); // graceful: in-flight requests finish first
      served.close();
      engine.close();
      System.err.println("parapet serve: stopped");
    }, "parapet-serve-shutdown"));
    out.printf("parapet serve: listening on %s (model %s, taxonomy %s, policy %s%s); Ctrl-C to stop%n", server.uri(),
        engine.modelId(), guard.taxonomy().name(), guard.policy().toSpec(), token == null ? "" : ", bearer token required");
    out.flush();
    server.awaitClosed();
    return ExitCodes.OK;
  }

  private ServerLimits limits() {
    if (deadlineMs < 1 || sessionIdleSeconds < 1 || shutdownSeconds < 1) {
      throw new IllegalArgumentException("--deadline-ms, --session-idle-seconds and --shutdown-timeout-seconds must be >= 1");
    }
    if (cacheSize < 0) {
      throw new IllegalArgumentException("--cache-size must be >= 0, was " + cacheSize);
    }
    return ServerLimits.builder().workers(workers).queueCapacity(queue).deadline(Duration.ofMillis(deadlineMs))
        .maxBodyBytes(maxBodyBytes).maxTextChars(maxTextChars).maxInputs(maxInputs).maxSessions(maxSessions)
        .sessionIdleTimeout(Duration.ofSeconds(sessionIdleSeconds)).shutdownTimeout(Duration.ofSeconds(shutdownSeconds))
        .build();
  }

  private String readToken() throws java.io.IOException {
    if (tokenFile == null) {
      return null;
    }
    if (!Files.isRegularFile(tokenFile)) {
      throw new NoSuchFileException(tokenFile.toString(), null, "no such token file; check --token-file");
    }
    String t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("--token-file " + tokenFile + " is empty; put the bearer token in it");
    }
    return t;
  }

  /** Access log lines go to stderr as bare JSON lines (not JUL's two-line default format). */
  private static void configureAccessLog() {
    Logger log = Logger.getLogger(AccessLogFormatter.LOGGER);
    log.setUseParentHandlers(false);
    log.setLevel(Level.INFO);
    ConsoleHandler h = new ConsoleHandler();
    h.setLevel(Level.INFO);
    h.setFormatter(new AccessLogFormatter());
    log.addHandler(h);
  }
}
