package dev.parapet.guard.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Ticker;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's entry point: routes, authenticates, caps the body, maps every outcome to a JSON response, writes the
 * access log line and counts the request. Errors never carry a stack trace (unexpected ones are logged on the
 * server with the request id, and the client gets that id). Thread-safe: per-request state is on the stack.
 */
final class ApiHandler extends Handler.Abstract {
  private static final Logger LOG = Logger.getLogger(ParapetServer.class.getName());

  private final Endpoints endpoints;
  private final Guard guard;
  private final ServerMetrics metrics;
  private final AccessLog accessLog;
  private final Ticker ticker;
  private final long maxBodyBytes;
  private final Optional<byte[]> tokenDigest;
  private final BooleanSupplier ready;
  private final AtomicLong requestIds = new AtomicLong();
  private final String idPrefix = Long.toHexString(System.nanoTime() & 0xffffff);

  ApiHandler(Endpoints endpoints, Guard guard, ServerMetrics metrics, AccessLog accessLog, Ticker ticker,
      long maxBodyBytes, Optional<String> token, AtomicBoolean ready) {
    super(InvocationType.BLOCKING);
    this.endpoints = endpoints;
    this.guard = guard;
    this.metrics = metrics;
    this.accessLog = accessLog;
    this.ticker = ticker;
    this.maxBodyBytes = maxBodyBytes;
    this.tokenDigest = token.map(ApiHandler::sha256);
    this.ready = ready::get;
  }

  /** A response: status, body and content type, plus extra headers. */
  private record Reply(int status, byte[] body, String contentType, Map<String, String> headers) {
    static Reply json(int status, ObjectNode o) {
      return new Reply(status, o.toString().getBytes(StandardCharsets.UTF_8), "application/json", Map.of());
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    AccessLog.Entry log = new AccessLog.Entry("req_" + idPrefix + "_" + requestIds.incrementAndGet(), ticker.read());
    log.method = request.getMethod();
    log.path = Request.getPathInContext(request);
    log.remote = Request.getRemoteAddr(request);
    Reply reply;
    try {
      reply = route(request, log);
    } catch (ApiException e) {
      reply = error(e, log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply = error(new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down; "
          + "retry against another instance", Map.of()), log);
    } catch (RuntimeException | Error e) {
      LOG.log(Level.SEVERE, "request " + log.requestId + " " + log.method + " " + log.route + " failed", e);
      reply = error(new ApiException(500, "server_error", null, "internal_error", "internal error (request id "
          + log.requestId + "); the server log has the details", Map.of()), log);
    }
    log.status = reply.status();
    log.responseBytes = reply.body().length;
    response.setStatus(reply.status());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
    response.getHeaders().put("X-Request-Id", log.requestId);
    reply.headers().forEach((k, v) -> response.getHeaders().put(k, v));
    metrics.request(log.route, reply.status());
    accessLog.write(log, ticker.read());
    response.write(true, ByteBuffer.wrap(reply.body()), callback);
    return true;
  }

  private Reply route(Request request, AccessLog.Entry log) throws InterruptedException {
    String path = log.path;
    String method = log.method;
    switch (path) {
      case "/healthz":
        log.route = "healthz";
        requireMethod(method, "GET");
        return Reply.json(200, Requests.JSON.createObjectNode().put("status", "ok"));
      case "/readyz":
        log.route = "readyz";
        requireMethod(method, "GET");
        boolean up = ready.getAsBoolean();
        return Reply.json(up ? 200 : 503, Requests.JSON.createObjectNode().put("status", up ? "ready" : "not ready")
            .put("model", guard.classifierInfo().id()));
      case "/metrics":
        log.route = "metrics";
        requireMethod(method, "GET");
        authenticate(request);
        return new Reply(200, metrics.scrape().getBytes(StandardCharsets.UTF_8),
            "text/plain; version=0.0.4; charset=utf-8", Map.of());
      case "/v1/moderations":
        log.route = "moderations";
        requireMethod(method, "POST");
        authenticate(request);
        return Reply.json(200, endpoints.moderations(body(request, log), log));
      case "/v1/check":
        log.route = "check";
        requireMethod(method, "POST");
        authenticate(request);
        return Reply.json(200, endpoints.check(body(request, log), log));
      case "/v1/streams":
        log.route = "streams.open";
        requireMethod(method, "POST");
        authenticate(request);
        return Reply.json(201, endpoints.openStream(body(request, log), log));
      default:
        return streamRoute(request, path, method, log);
    }
  }

  private Reply streamRoute(Request request, String path, String method, AccessLog.Entry log)
      throws InterruptedException {
    String prefix = "/v1/streams/";
    if (!path.startsWith(prefix)) {
      throw ApiException.notFound("no endpoint " + path + "; see /v1/moderations, /v1/check, /v1/streams, /healthz, "
          + "/readyz, /metrics");
    }
    String[] parts = path.substring(prefix.length()).split("/", -1);
    if (parts.length == 1 && !parts[0].isEmpty()) {
      log.route = "streams.delete";
      requireMethod(method, "DELETE");
      authenticate(request);
      endpoints.deleteStream(parts[0]);
      return new Reply(204, new byte[0], "application/json", Map.of());
    }
    if (parts.length == 2 && !parts[0].isEmpty() && (parts[1].equals("tokens") || parts[1].equals("finish"))) {
      boolean finish = parts[1].equals("finish");
      log.route = finish ? "streams.finish" : "streams.tokens";
      requireMethod(method, "POST");
      authenticate(request);
      return Reply.json(200, endpoints.streamStep(parts[0], body(request, log), finish, log));
    }
    throw ApiException.notFound("no endpoint " + path + "; stream sessions use POST /v1/streams/{id}/tokens, "
        + "POST /v1/streams/{id}/finish and DELETE /v1/streams/{id}");
  }

  private static void requireMethod(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "use " + allowed
          + " for this endpoint, not " + method, Map.of("Allow", allowed));
    }
  }

  /** Bearer-token check; 401 says nothing about why (missing, malformed or wrong look the same). */
  private void authenticate(Request request) {
    if (tokenDigest.isEmpty()) {
      return;
    }
    String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
    // Digests make the comparison length-independent; MessageDigest.isEqual is constant-time.
    if (!MessageDigest.isEqual(sha256(given), tokenDigest.get())) {
      throw new ApiException(401, "authentication_error", null, "unauthorized", "unauthorized",
          Map.of("WWW-Authenticate", "Bearer"));
    }
  }

  /** The body, at most maxBodyBytes: larger ones get 413 (by Content-Length before reading, or while reading). */
  private byte[] body(Request request, AccessLog.Entry log) {
    long declared = request.getLength();
    if (declared > maxBodyBytes) {
      throw tooLarge(declared);
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
      if (b.length > maxBodyBytes) {
        throw tooLarge(-1);
      }
      log.requestBytes = b.length;
      return b;
    } catch (IOException e) {
      throw ApiException.invalid(null, "the request body could not be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private ApiException tooLarge(long declared) {
    return new ApiException(413, "invalid_request_error", null, "request_too_large", "the request body "
        + (declared > 0 ? "is " + declared + " bytes" : "is too large") + "; the server accepts at most "
        + maxBodyBytes + " bytes (send fewer or shorter texts per request)", Map.of());
  }

  private Reply error(ApiException e, AccessLog.Entry log) {
    log.error = e.code;
    metrics.error(e.code);
    ObjectNode root = Requests.JSON.createObjectNode();
    ObjectNode err = root.putObject("error");
    err.put("message", e.getMessage());
    err.put("type", e.type);
    if (e.param == null) {
      err.putNull("param");
    } else {
      err.put("param", e.param);
    }
    err.put("code", e.code);
    Reply r = Reply.json(e.status, root);
    return new Reply(r.status(), r.body(), r.contentType(), e.headers);
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
