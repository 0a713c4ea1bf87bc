package dev.parapet.guard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Failure;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Target;
import dev.parapet.guard.Ticker;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.stream.StreamingSession;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The API's endpoints over one {@link Guard}. Model work runs on the {@link WorkerPool} under the request's
 * deadline; when the deadline passes, the Guard's failure mode decides (fail-closed by default: BLOCK, with a
 * TIMEOUT failure in the verdict), as a Guard timeout would. Thread-safe: all state is in thread-safe
 * collaborators.
 */
final class Endpoints {
  private static final Set<String> MODERATION_KEYS = Set.of("input", "model");
  private static final Set<String> CHECK_KEYS = Set.of("messages", "policy", "taxonomy");
  private static final Set<String> OPEN_KEYS = Set.of("messages", "prompt", "policy", "taxonomy", "options");
  private static final Set<String> TOKEN_KEYS = Set.of("tokens", "text");

  private final Guard guard;
  private final Requests requests;
  private final WorkerPool pool;
  private final StreamRegistry streams;
  private final ServerMetrics metrics;
  private final Ticker ticker;
  private final Duration deadline;
  private final SecureRandom random = new SecureRandom();

  Endpoints(Guard guard, ServerLimits limits, WorkerPool pool, StreamRegistry streams, ServerMetrics metrics,
      Ticker ticker) {
    this.guard = guard;
    this.requests = new Requests(limits);
    this.pool = pool;
    this.streams = streams;
    this.metrics = metrics;
    this.ticker = ticker;
    this.deadline = limits.deadline();
  }

  /** POST /v1/moderations: OpenAI's request and response shapes. */
  ObjectNode moderations(byte[] body, AccessLog.Entry log) throws InterruptedException {
    JsonNode req = requests.object(body, MODERATION_KEYS);
    requests.optionalString(req, "model"); // accepted for compatibility, checked for type, otherwise ignored
    List<String> inputs = requests.moderationInput(req);
    List<Conversation> convs = inputs.stream().map(Conversation::ofPrompt).toList();
    log.texts.addAll(inputs);
    List<Verdict> verdicts = runChecks(guard, convs, log);
    ObjectNode out = Requests.JSON.createObjectNode();
    out.put("id", "modr-" + randomHex(16));
    out.put("model", guard.classifierInfo().id());
    ArrayNode results = out.putArray("results");
    for (Verdict v : verdicts) {
      OpenAiCategories.result(results.addObject(), v, guard.taxonomy(), guard.policy().toSpec());
      record("moderations", v, log);
    }
    return out;
  }

  /** POST /v1/check: a conversation, optional policy and taxonomy; the verdict JSON as the library writes it. */
  ObjectNode check(byte[] body, AccessLog.Entry log) throws InterruptedException {
    JsonNode req = requests.object(body, CHECK_KEYS);
    Conversation c = requests.conversation(req);
    c.turns().forEach(t -> log.texts.add(t.text()));
    Optional<Policy> policy = requests.policy(req);
    Optional<Taxonomy> taxonomy = requests.taxonomy(req);
    Guard g = derived(policy, taxonomy);
    try {
      Verdict v = runChecks(g, List.of(c), log).get(0);
      record("check", v, log);
      return verdictJson(v);
    } finally {
      if (g != guard) {
        g.close();
      }
    }
  }

  /** POST /v1/streams: opens a session for the response to a prompt conversation. */
  ObjectNode openStream(byte[] body, AccessLog.Entry log) throws InterruptedException {
    JsonNode req = requests.object(body, OPEN_KEYS);
    Conversation prompt;
    if (req.has("prompt")) {
      if (req.has("messages")) {
        throw ApiException.invalid("prompt", "give \"prompt\" (a string) or \"messages\", not both");
      }
      JsonNode p = req.get("prompt");
      if (!p.isTextual() || p.asText().isEmpty()) {
        throw ApiException.invalid("prompt", "\"prompt\" must be a non-empty string, was " + Requests.kind(p));
      }
      prompt = Conversation.ofPrompt(requests.moderationInput(
          Requests.JSON.createObjectNode().put("input", p.asText())).get(0));
    } else {
      prompt = requests.conversation(req);
    }
    prompt.turns().forEach(t -> log.texts.add(t.text()));
    Optional<Policy> policy = requests.policy(req);
    Optional<Taxonomy> taxonomy = requests.taxonomy(req);
    StreamOptions options = requests.streamOptions(req, guard.streamOptions());
    streams.ensureRoom();
    Guard g = derived(policy, taxonomy);
    StreamingSession session;
    try {
      session = pool.run(() -> g.openStream(prompt, options), remaining(log), true);
    } catch (WorkerPool.DeadlineExceeded e) {
      closeDerived(g);
      throw new ApiException(503, "timeout_error", null, "deadline_exceeded", "opening the session took longer "
          + "than the server's deadline of " + deadline.toMillis() + " ms; retry", java.util.Map.of());
    } catch (IllegalArgumentException e) {
      closeDerived(g);
      throw ApiException.invalid("messages", e.getMessage());
    } catch (RuntimeException | InterruptedException e) {
      closeDerived(g);
      throw e;
    }
    StreamRegistry.Entry entry = streams.add(session, g, g != guard);
    ObjectNode out = Requests.JSON.createObjectNode();
    out.put("id", entry.id);
    out.put("object", "parapet.stream");
    out.put("options", options.toString());
    return out;
  }

  /** POST /v1/streams/{id}/tokens and /finish: one session step. */
  ObjectNode streamStep(String id, byte[] body, boolean finish, AccessLog.Entry log) throws InterruptedException {
    List<String> tokens = finish ? List.of() : requests.tokens(requests.object(body, TOKEN_KEYS));
    if (finish && body.length > 0) {
      requests.object(body, Set.of());
    }
    log.texts.addAll(tokens);
    StreamRegistry.Entry e = streams.acquire(id);
    Object lock = new Object();
    boolean[] state = new boolean[2]; // [finished, abandoned], guarded by lock
    Step d;
    try {
      d = pool.run(() -> {
        try {
          synchronized (lock) {
            if (state[1]) {
              return null;
            }
          }
          StringBuilder released = new StringBuilder();
          StreamDecision last = null;
          for (String t : tokens) {
            last = e.session.onToken(t);
            released.append(last.released());
            if (last.isStop()) {
              break;
            }
          }
          if (finish) {
            last = e.session.finish();
            released.append(last.released());
          }
          return new Step(last, released.toString());
        } finally {
          synchronized (lock) {
            state[0] = true;
            if (state[1]) {
              streams.release(e, true); // the request gave up: the worker ends the session it still held
            }
          }
        }
      }, remaining(log), false);
    } catch (WorkerPool.DeadlineExceeded timeout) {
      synchronized (lock) {
        state[1] = true;
        if (state[0]) {
          streams.release(e, true);
        }
      }
      Verdict v = deadlineVerdict(e.guard(), Target.RESPONSE, FailureMode.CLOSED, log);
      record("streams", v, log);
      ObjectNode out = step(new Step(new StreamDecision.Stop(v, -1, ""), ""), e, false);
      out.put("ended", true);
      return out;
    } catch (RuntimeException | InterruptedException ex) {
      streams.release(e, true);
      throw ex;
    }
    // After a STOP the session stays (later calls repeat the Stop) until finish, DELETE or the idle timeout.
    boolean end = finish;
    streams.release(e, end);
    Step result = d == null || d.last() == null ? new Step(new StreamDecision.Continue("", null), "") : d;
    if (!tokens.isEmpty() || finish) {
      result.last().verdict().ifPresent(v -> record("streams", v, log));
    }
    ObjectNode out = step(result, e, true);
    out.put("ended", end);
    return out;
  }

  /** DELETE /v1/streams/{id}. */
  void deleteStream(String id) {
    streams.delete(id);
  }

  /** What one request's steps did: the last decision and all text released by them together. */
  private record Step(StreamDecision last, String released) {}

  private ObjectNode step(Step step, StreamRegistry.Entry e, boolean sessionUsable) {
    StreamDecision d = step.last();
    ObjectNode out = Requests.JSON.createObjectNode();
    out.put("id", e.id);
    String decision = d instanceof StreamDecision.Stop ? "STOP" : d instanceof StreamDecision.Complete ? "COMPLETE"
        : "CONTINUE";
    out.put("decision", decision);
    out.put("released", step.released());
    if (sessionUsable) { // after a deadline a worker may still hold the session: do not touch it
      out.put("tokensSeen", e.session.tokensSeen());
    }
    if (d instanceof StreamDecision.Stop s) {
      out.put("withheldChars", s.withheld().length());
    }
    d.verdict().ifPresent(v -> out.set("verdict", verdictJson(v)));
    return out;
  }

  /** {@link Verdict#toJson()} as a tree; serialized again it is the library's text (same fields, order, numbers). */
  static ObjectNode verdictJson(Verdict v) {
    try {
      return (ObjectNode) Requests.JSON.readTree(v.toJson());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Verdict.toJson() wrote invalid JSON: " + e.getMessage(), e);
    }
  }

  private List<Verdict> runChecks(Guard g, List<Conversation> convs, AccessLog.Entry log) throws InterruptedException {
    try {
      return pool.run(() -> convs.size() == 1 ? List.of(g.check(convs.get(0))) : g.checkAll(convs), remaining(log),
          true);
    } catch (WorkerPool.DeadlineExceeded e) {
      List<Verdict> out = new ArrayList<>(convs.size());
      for (Conversation c : convs) {
        out.add(deadlineVerdict(g, c.target(), g.policy().failureMode(), log));
      }
      return out;
    }
  }

  /** The verdict a Guard timeout gives: the failure mode decides, and the failure says why. */
  private Verdict deadlineVerdict(Guard g, Target target, FailureMode mode, AccessLog.Entry log) {
    String msg = "server deadline of " + deadline.toMillis() + " ms passed (queue wait included); the check was "
        + "cancelled";
    return Verdict.builder().decision(mode == FailureMode.CLOSED ? Decision.BLOCK : Decision.ALLOW)
        .target(target).classifierId(g.classifierInfo().id())
        .taxonomyHash(g.policy().effectiveTaxonomy(g.taxonomy()).hash())
        .latency(Duration.ofNanos(Math.max(0, ticker.read() - log.startNanos)))
        .failure(new Failure(Failure.Kind.TIMEOUT, msg, mode)).build();
  }

  private Duration remaining(AccessLog.Entry log) {
    return deadline.minusNanos(ticker.read() - log.startNanos);
  }

  private void record(String endpoint, Verdict v, AccessLog.Entry log) {
    metrics.verdict(endpoint, v);
    metrics.latency(endpoint, Duration.ofNanos(Math.max(0, ticker.read() - log.startNanos)));
    log.decisions.add(v.decision().name());
    for (Triggered t : v.triggered()) {
      log.categories.add(t.code());
    }
  }

  /** The guard itself, or a derived one (shares the model and cache) with the request's policy / taxonomy. */
  private Guard derived(Optional<Policy> policy, Optional<Taxonomy> taxonomy) {
    if (policy.isEmpty() && taxonomy.isEmpty()) {
      return guard;
    }
    Guard.Builder b = guard.newBuilder();
    taxonomy.ifPresent(b::taxonomy);
    policy.ifPresent(b::policy);
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(policy.isPresent() ? "policy" : "taxonomy", e.getMessage());
    }
  }

  private void closeDerived(Guard g) {
    if (g != guard) {
      g.close();
    }
  }

  private String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
