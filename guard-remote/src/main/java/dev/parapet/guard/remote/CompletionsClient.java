package dev.parapet.guard.remote;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.onnx.decoder.DecoderPrompts;
import dev.parapet.guard.spi.Cancellation;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One read = one {@code POST /v1/completions}, with a per-attempt deadline, retries on 429/503 only (Retry-After
 * honoured, otherwise full-jitter exponential backoff) and a circuit breaker (resilience4j) around the whole read,
 * so a dead server costs one fast {@link ClassificationException} per read instead of a timeout. Blocking; the
 * caller bounds concurrency. Thread-safe.
 */
final class CompletionsClient {
  /** Waits between retries; tests record the delays instead of sleeping. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /** A failed attempt inside {@link #read}. {@code serverFault}: counts towards opening the circuit breaker. */
  static final class RemoteCallException extends ClassificationException {
    private static final long serialVersionUID = 1L;
    final boolean serverFault;

    RemoteCallException(String message, boolean serverFault, Throwable cause) {
      super(message, cause);
      this.serverFault = serverFault;
    }
  }

  private final RemoteSettings settings;
  private final URI endpoint;
  private final HttpClient http;
  private final CircuitBreaker breaker;

  CompletionsClient(RemoteSettings settings) {
    this.settings = settings;
    this.endpoint = settings.endpoint();
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1) // vLLM's uvicorn speaks HTTP/1.1; skip the h2c upgrade attempt
        .connectTimeout(settings.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    CircuitBreakerConfig config = CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(settings.breakerWindow())
        .minimumNumberOfCalls(settings.breakerWindow())
        .failureRateThreshold(50)
        .waitDurationInOpenState(settings.breakerOpenFor())
        .permittedNumberOfCallsInHalfOpenState(1)
        .automaticTransitionFromOpenToHalfOpenEnabled(false) // no timer thread: the first call after the wait probes
        .recordException(t -> t instanceof RemoteCallException r && r.serverFault)
        .clock(settings.clock())
        .build();
    this.breaker = CircuitBreaker.of("parapet-remote " + endpoint, config);
  }

  CircuitBreaker.State breakerState() {
    return breaker.getState();
  }

  /** The option log-probabilities of one read. */
  double[] read(DecoderPrompts.Read read, Cancellation cancellation) {
    cancellation.throwIfCancelled();
    if (!breaker.tryAcquirePermission()) {
      CircuitBreaker.Metrics m = breaker.getMetrics();
      throw new ClassificationException("circuit breaker open for " + endpoint + ": " + m.getNumberOfFailedCalls() + " of"
          + " the last " + m.getNumberOfBufferedCalls() + " reads failed; failing fast for "
          + settings.breakerOpenFor().toSeconds() + " s before one probe call (is the vLLM server up?)");
    }
    long t0 = System.nanoTime();
    try {
      double[] out = attempts(read, cancellation);
      breaker.onSuccess(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return out;
    } catch (RemoteCallException e) {
      breaker.onError(System.nanoTime() - t0, TimeUnit.NANOSECONDS, e); // non-server faults are ignored (released)
      // the public type, so a verdict's failure reads "ClassificationException: <reason>"
      throw new ClassificationException(e.getMessage(), e.getCause());
    } catch (RuntimeException | Error e) {
      breaker.releasePermission(); // cancelled, or a bug: not the server's health
      throw e;
    }
  }

  private double[] attempts(DecoderPrompts.Read read, Cancellation cancellation) {
    String body = CompletionsWire.request(settings.model(), read.promptIds(), settings.topLogprobs());
    HttpRequest.Builder rb = HttpRequest.newBuilder(endpoint)
        .timeout(settings.readTimeout())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    settings.apiKey().ifPresent(k -> rb.header("Authorization", "Bearer " + k));
    HttpRequest request = rb.build();
    for (int attempt = 0; ; attempt++) {
      cancellation.throwIfCancelled();
      HttpResponse<String> resp = send(request, cancellation);
      int status = resp.statusCode();
      if (status == 200) {
        try {
          return CompletionsWire.optionLogprobs(resp.body(), read.optionIds(), endpoint.toString());
        } catch (ClassificationException e) {
          throw new RemoteCallException(e.getMessage(), true, e);
        }
      }
      boolean retryable = status == 429 || status == 503;
      if (retryable && attempt < settings.maxRetries()) {
        int n = attempt;
        Duration delay = retryAfter(resp).orElseGet(() -> backoff(n));
        if (delay.compareTo(settings.maxRetryAfter()) > 0) {
          throw new RemoteCallException(endpoint + " answered " + status + " and asked to retry after "
              + delay.toSeconds() + " s, longer than maxRetryAfter " + settings.maxRetryAfter().toSeconds() + " s", true,
              null);
        }
        pause(delay);
        continue;
      }
      throw statusError(status, resp.body(), attempt);
    }
  }

  private RemoteCallException statusError(int status, String body, int retries) {
    String msg = CompletionsWire.errorMessage(body);
    String where = endpoint + " answered " + status + ": " + msg;
    return switch (status) {
      case 401, 403 -> new RemoteCallException(where + "; pass the API key the server was started with (vLLM"
          + " --api-key) via apiKey(...) / --remote-token-file", false, null);
      case 404 -> new RemoteCallException(where + "; check the served model name (vLLM --served-model-name) and"
          + " that the base URL is the server root, e.g. http://host:8000", false, null);
      case 400, 413, 422 -> new RemoteCallException(where + "; if the prompt is too long, raise vLLM's"
          + " --max-model-len or lower maxContextTokens", false, null);
      case 429, 503 -> new RemoteCallException(where + " (still overloaded after " + retries + " retries)", true, null);
      default -> new RemoteCallException(where, status >= 500, null);
    };
  }

  private HttpResponse<String> send(HttpRequest request, Cancellation cancellation) {
    CompletableFuture<HttpResponse<String>> cf =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    try (Cancellation.Registration reg = cancellation.onCancel(() -> cf.cancel(true))) {
      // the request timeout covers the response headers; this deadline covers the body too
      return cf.get(settings.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      cf.cancel(true);
      throw timeout(e);
    } catch (InterruptedException e) {
      cf.cancel(true);
      Thread.currentThread().interrupt();
      throw new CancellationException("remote read interrupted");
    } catch (CancellationException e) {
      throw new CancellationException("classification was cancelled");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof HttpConnectTimeoutException) {
        throw new RemoteCallException("cannot connect to " + endpoint + " within " + settings.connectTimeout().toMillis()
            + " ms (is the vLLM server up and reachable?)", true, c);
      }
      if (c instanceof HttpTimeoutException) {
        throw timeout(c);
      }
      if (c instanceof ConnectException) {
        throw new RemoteCallException("connection refused by " + endpoint + " (is the vLLM server running on that"
            + " host and port?)", true, c);
      }
      if (c instanceof IOException) {
        throw new RemoteCallException("connection to " + endpoint + " failed mid-request (reset or closed by the"
            + " server): " + c.getMessage(), true, c);
      }
      throw new RemoteCallException("request to " + endpoint + " failed: " + c, true, c);
    }
  }

  private RemoteCallException timeout(Throwable cause) {
    return new RemoteCallException("no complete response from " + endpoint + " within readTimeout "
        + settings.readTimeout().toMillis() + " ms (server overloaded or stuck?)", true, cause);
  }

  private void pause(Duration d) {
    try {
      settings.sleeper().sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("remote read interrupted while waiting to retry");
    }
  }

  /** Full jitter: uniform in [0, min(max, initial * 2^attempt)]. */
  Duration backoff(int attempt) {
    long cap = Math.min(settings.maxBackoff().toMillis(),
        settings.initialBackoff().toMillis() << Math.min(attempt, 20));
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
  }

  /** Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3); empty when absent or unreadable. */
  Optional<Duration> retryAfter(HttpResponse<?> resp) {
    Optional<String> h = resp.headers().firstValue("Retry-After");
    if (h.isEmpty()) {
      return Optional.empty();
    }
    String v = h.get().strip();
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(settings.clock().instant(), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }
}
