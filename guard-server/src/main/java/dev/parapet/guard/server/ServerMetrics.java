package dev.parapet.guard.server;

import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The server's meters, rendered by {@link #scrape()} in the Prometheus text format:
 *
 * <ul>
 *   <li>{@code parapet_checks_total{endpoint}}: texts checked (one per moderation input, check, stream step);
 *   <li>{@code parapet_decisions_total{endpoint,decision,category}}: verdicts by decision and triggered S-code
 *       ({@code category="none"} when nothing triggered);
 *   <li>{@code parapet_check_duration_seconds{endpoint}}: a latency histogram (queue wait included);
 *   <li>{@code parapet_check_failures_total{kind}}: verdicts decided by the failure mode (timeout, error);
 *   <li>{@code parapet_queue_depth}, {@code parapet_workers_active}, {@code parapet_stream_sessions}: gauges;
 *   <li>{@code parapet_http_requests_total{route,status}} and {@code parapet_errors_total{type}}.
 * </ul>
 *
 * Thread-safe (Micrometer meters are). Labels come from fixed sets (routes, decisions, taxonomy codes), never
 * from request text.
 */
final class ServerMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  ServerMetrics(Supplier<Number> queueDepth, Supplier<Number> activeWorkers, Supplier<Number> sessions) {
    Gauge.builder("parapet.queue.depth", queueDepth).description("requests waiting for a model worker")
        .register(registry);
    Gauge.builder("parapet.workers.active", activeWorkers).description("model workers busy").register(registry);
    Gauge.builder("parapet.stream.sessions", sessions).description("open streaming sessions").register(registry);
  }

  void verdict(String endpoint, Verdict v) {
    Counter.builder("parapet.checks").description("texts checked").tag("endpoint", endpoint).register(registry)
        .increment();
    if (v.triggered().isEmpty()) {
      decision(endpoint, v.decision().name(), "none");
    }
    for (Triggered t : v.triggered()) {
      decision(endpoint, v.decision().name(), t.code());
    }
    v.failure().ifPresent(f -> Counter.builder("parapet.check.failures")
        .description("verdicts decided by the failure mode").tag("kind", f.kind().name()).register(registry)
        .increment());
  }

  private void decision(String endpoint, String decision, String category) {
    Counter.builder("parapet.decisions").description("verdicts by decision and triggered category")
        .tag("endpoint", endpoint).tag("decision", decision).tag("category", category).register(registry)
        .increment();
  }

  void latency(String endpoint, Duration d) {
    Timer.builder("parapet.check.duration").description("time to answer a check, queue wait included")
        .tag("endpoint", endpoint).publishPercentileHistogram().register(registry).record(d);
  }

  void request(String route, int status) {
    Counter.builder("parapet.http.requests").description("HTTP requests by route and status")
        .tag("route", route).tag("status", Integer.toString(status)).register(registry).increment();
  }

  void error(String type) {
    Counter.builder("parapet.errors").description("requests answered with an error, by type").tag("type", type)
        .register(registry).increment();
  }

  String scrape() {
    return registry.scrape();
  }

  void close() {
    registry.close();
  }
}
