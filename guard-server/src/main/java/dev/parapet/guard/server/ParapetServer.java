package dev.parapet.guard.server;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Ticker;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Parapet over HTTP: an OpenAI-compatible {@code POST /v1/moderations}, {@code POST /v1/check}, streaming
 * sessions under {@code /v1/streams}, and {@code /healthz}, {@code /readyz}, {@code /metrics}, on an embedded
 * Jetty 12.
 *
 * <pre>{@code
 * try (Guard guard = Guard.builder().build();
 *      ParapetServer server = ParapetServer.builder(guard).port(8080).build().start()) {
 *   System.out.println("listening on " + server.uri());
 *   server.awaitClosed();
 * }
 * }</pre>
 *
 * <p>The server does not own the Guard: close the Guard after the server. {@link #close()} is graceful: it stops
 * accepting, lets in-flight requests finish (up to {@link ServerLimits#shutdownTimeout()}), then closes the open
 * stream sessions. Thread-safe; {@link #start()} once, {@link #close()} any number of times.
 */
public final class ParapetServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ParapetServer.class.getName());

  private final Builder settings;
  private final WorkerPool pool;
  private final StreamRegistry streams;
  private final ServerMetrics metrics;
  private final Server server;
  private final ServerConnector connector;
  private final ScheduledExecutorService sweeper;
  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closedLatch = new CountDownLatch(1);

  private ParapetServer(Builder b) {
    this.settings = b.copy();
    ServerLimits limits = b.limits;
    this.pool = new WorkerPool(limits);
    this.streams = new StreamRegistry(limits, b.ticker);
    this.metrics = new ServerMetrics(pool::queueDepth, pool::active, streams::size);
    Endpoints endpoints = new Endpoints(b.guard, limits, pool, streams, metrics, b.ticker);
    ApiHandler api = new ApiHandler(endpoints, b.guard, metrics, new AccessLog(b.logTexts), b.ticker,
        limits.maxBodyBytes(), b.token, ready);

    // Request threads wait for model workers; enough of them that a full pool answers 429 instead of letting
    // connections queue inside Jetty.
    QueuedThreadPool threads = new QueuedThreadPool(Math.max(200, limits.workers() + limits.queueCapacity() + 64));
    threads.setName("parapet-http");
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(b.host);
    connector.setPort(b.port);
    server.addConnector(connector);
    ErrorHandler errors = new ErrorHandler();
    errors.setShowStacks(false);
    errors.setShowMessageInTitle(false);
    server.setErrorHandler(errors);
    server.setHandler(new GracefulHandler(api));
    server.setStopTimeout(limits.shutdownTimeout().toMillis());
    server.setStopAtShutdown(false); // the owner (the CLI's shutdown hook) decides when to stop
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "parapet-server-sessions");
      t.setDaemon(true);
      return t;
    });
  }

  public static Builder builder(Guard guard) {
    return new Builder(guard);
  }

  /**
   * Binds and starts serving; returns when the server accepts requests ({@code /readyz} answers 200).
   *
   * @throws IllegalStateException if already started, or when the port cannot be bound (the message says which)
   */
  public ParapetServer start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("ParapetServer.start() was already called");
    }
    try {
      server.start();
    } catch (Exception e) {
      stopQuietly();
      throw new IllegalStateException("cannot listen on " + settings.host + ":" + settings.port + ": " + e.getMessage()
          + " (is another process using the port? pick another with --port)", e);
    }
    long sweepMillis = Math.max(1000, Math.min(10_000, settings.limits.sessionIdleTimeout().toMillis() / 2));
    sweeper.scheduleWithFixedDelay(streams::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    ready.set(true);
    return this;
  }

  /** The port bound (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
  public URI uri() {
    String host = settings.host.contains(":") ? "[" + settings.host + "]" : settings.host;
    return URI.create("http://" + host + ":" + port());
  }

  /** Blocks until {@link #close()} has finished. */
  public void awaitClosed() throws InterruptedException {
    closedLatch.await();
  }

  /**
   * Graceful stop: {@code /readyz} turns 503, no new connections, in-flight requests finish (bounded by the
   * shutdown timeout), then sessions and workers are closed. Idempotent; the Guard stays open.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ready.set(false);
    try {
      stopQuietly();
    } finally {
      closedLatch.countDown();
    }
  }

  private void stopQuietly() {
    try {
      server.stop();
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "stopping the HTTP server: " + e.getMessage());
    }
    sweeper.shutdownNow();
    streams.close();
    pool.close();
    metrics.close();
  }

  /** Builds a {@link ParapetServer}; each setter checks its value at once. Reusable, not thread-safe. */
  public static final class Builder {
    private final Guard guard;
    private String host = "127.0.0.1";
    private int port = 8080;
    private ServerLimits limits = ServerLimits.defaults();
    private Optional<String> token = Optional.empty();
    private boolean logTexts;
    private Ticker ticker = Ticker.system();

    private Builder(Guard guard) {
      this.guard = requireNonNull(guard, "guard");
    }

    /** The address to bind; default {@code 127.0.0.1} (loopback only). */
    public Builder host(String host) {
      requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank (use 127.0.0.1, or 0.0.0.0 for every interface)");
      }
      this.host = host.strip();
      return this;
    }

    /** The port; 0 picks a free one (see {@link ParapetServer#port()}). Default 8080. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
      }
      this.port = port;
      return this;
    }

    public Builder limits(ServerLimits limits) {
      this.limits = requireNonNull(limits, "limits");
      return this;
    }

    /** Requires {@code Authorization: Bearer TOKEN} on every endpoint but /healthz and /readyz. */
    public Builder token(String token) {
      requireNonNull(token, "token");
      if (token.isBlank()) {
        throw new IllegalArgumentException("the bearer token must not be blank");
      }
      this.token = Optional.of(token.strip());
      return this;
    }

    /** Whether access log lines include the checked texts (user data; default false). */
    public Builder logTexts(boolean on) {
      this.logTexts = on;
      return this;
    }

    /** The clock for latencies, deadlines and session idle timeouts; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = requireNonNull(ticker, "ticker");
      return this;
    }

    /** A server, not yet started. */
    public ParapetServer build() {
      return new ParapetServer(this);
    }

    Builder copy() {
      Builder b = new Builder(guard);
      b.host = host;
      b.port = port;
      b.limits = limits;
      b.token = token;
      b.logTexts = logTexts;
      b.ticker = ticker;
      return b;
    }
  }

  /** The limits in force. */
  public ServerLimits limits() {
    return settings.limits;
  }
}
