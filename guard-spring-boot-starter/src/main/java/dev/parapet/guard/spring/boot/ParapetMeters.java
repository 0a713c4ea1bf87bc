package dev.parapet.guard.spring.boot;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.event.GuardListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;

/**
 * Micrometer meters fed by the Guard's events. Thread-safe (Micrometer meters are); fast (lookups are cached by
 * the registry).
 *
 * <ul>
 *   <li>{@code parapet.checks} (counter; tags target, decision);
 *   <li>{@code parapet.decisions} (counter; tags decision, category: one count per triggered category, "none"
 *       when nothing triggered);
 *   <li>{@code parapet.check.latency} (timer; tag target);
 *   <li>{@code parapet.classifier.failures} (counter);
 *   <li>{@code parapet.stream.stops} (counter).
 * </ul>
 */
public final class ParapetMeters extends GuardListener {
  private final MeterRegistry registry;
  private final Counter streamStops;
  private final Counter failures;

  public ParapetMeters(MeterRegistry registry) {
    this.registry = registry;
    this.streamStops = Counter.builder("parapet.stream.stops").description("Streamed responses cut off")
        .register(registry);
    this.failures = Counter.builder("parapet.classifier.failures")
        .description("Checks whose classifier failed (the fail mode decided)").register(registry);
  }

  @Override
  public void checkFinished(Conversation conversation, Verdict verdict) {
    String target = verdict.target().name().toLowerCase(Locale.ROOT);
    String decision = verdict.decision().name().toLowerCase(Locale.ROOT);
    registry.counter("parapet.checks", "target", target, "decision", decision).increment();
    if (verdict.triggered().isEmpty()) {
      registry.counter("parapet.decisions", "decision", decision, "category", "none").increment();
    }
    for (Triggered t : verdict.triggered()) {
      registry.counter("parapet.decisions", "decision", decision, "category", t.code()).increment();
    }
    Timer.builder("parapet.check.latency").tag("target", target).register(registry).record(verdict.latency());
  }

  @Override
  public void classifierFailed(Conversation conversation, Throwable error) {
    failures.increment();
  }

  @Override
  public void streamStopped(Conversation promptConversation, Verdict verdict, int tokensSeen) {
    streamStops.increment();
  }
}
