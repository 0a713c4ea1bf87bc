package dev.parapet.guard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A small java.net.http client for the tests: every call is bounded by a timeout, talks to 127.0.0.1 only. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final URI base;
  private String token;

  Http(URI base) {
    this.base = base;
  }

  Http token(String t) {
    this.token = t;
    return this;
  }

  /** A response: status, headers and the body (parsed as JSON when it is JSON). */
  record Reply(int status, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError("not JSON (status " + status + "): " + raw.body(), e);
      }
    }

    String body() {
      return raw.body();
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    /** error.param of an error body. */
    String param() {
      JsonNode p = json().path("error").path("param");
      return p.isNull() ? null : p.asText();
    }
  }

  Reply post(String path, String body) {
    return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type",
        "application/json").build());
  }

  CompletableFuture<Reply> postAsync(String path, String body) {
    HttpRequest r = request(path).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").build();
    return client.sendAsync(r, HttpResponse.BodyHandlers.ofString()).thenApply(x -> new Reply(x.statusCode(), x));
  }

  Reply get(String path) {
    return send(request(path).GET().build());
  }

  Reply delete(String path) {
    return send(request(path).DELETE().build());
  }

  Reply send(HttpRequest r) {
    try {
      HttpResponse<String> x = client.send(r, HttpResponse.BodyHandlers.ofString());
      return new Reply(x.statusCode(), x);
    } catch (IOException e) {
      throw new AssertionError("request to " + r.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
