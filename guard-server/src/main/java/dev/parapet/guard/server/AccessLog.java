package dev.parapet.guard.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One JSON line per request on the {@code java.util.logging} logger {@value #LOGGER} (INFO): time, request id,
 * client, method, path, status, duration, body sizes, decisions, triggered categories and error type. Texts
 * are user data: they are logged only when the server was built with {@code logTexts(true)}. Error messages are
 * not logged either (a JSON parse error may quote the body).
 */
final class AccessLog {
  static final String LOGGER = "dev.parapet.guard.server.access";
  private static final Logger LOG = Logger.getLogger(LOGGER);

  /** What one request did; filled by the handler, written once at the end. Used from one thread. */
  static final class Entry {
    final String requestId;
    final long startNanos;
    String method = "";
    String path = "";
    String remote = "";
    String route = "unknown";
    int status;
    long requestBytes;
    long responseBytes;
    String error;
    final List<String> decisions = new ArrayList<>();
    final List<String> categories = new ArrayList<>();
    final List<String> texts = new ArrayList<>();

    Entry(String requestId, long startNanos) {
      this.requestId = requestId;
      this.startNanos = startNanos;
    }
  }

  private final boolean logTexts;

  AccessLog(boolean logTexts) {
    this.logTexts = logTexts;
  }

  boolean logTexts() {
    return logTexts;
  }

  void write(Entry e, long endNanos) {
    if (!LOG.isLoggable(Level.INFO)) {
      return;
    }
    ObjectNode o = Requests.JSON.createObjectNode();
    o.put("ts", Instant.now().toString());
    o.put("requestId", e.requestId);
    o.put("remote", e.remote);
    o.put("method", e.method);
    o.put("path", e.path);
    o.put("route", e.route);
    o.put("status", e.status);
    o.put("durationMs", (endNanos - e.startNanos) / 1e6);
    o.put("requestBytes", e.requestBytes);
    o.put("responseBytes", e.responseBytes);
    if (!e.decisions.isEmpty()) {
      ArrayNode d = o.putArray("decisions");
      e.decisions.forEach(d::add);
    }
    if (!e.categories.isEmpty()) {
      ArrayNode c = o.putArray("categories");
      e.categories.forEach(c::add);
    }
    if (e.error != null) {
      o.put("error", e.error);
    }
    if (logTexts && !e.texts.isEmpty()) {
      ArrayNode t = o.putArray("texts");
      e.texts.forEach(t::add);
    }
    try {
      LOG.info(Requests.JSON.writeValueAsString(o));
    } catch (JsonProcessingException ex) {
      LOG.log(Level.WARNING, "access log line could not be written: " + ex.getOriginalMessage());
    }
  }
}
