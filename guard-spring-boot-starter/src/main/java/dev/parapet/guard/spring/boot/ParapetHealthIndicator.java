package dev.parapet.guard.spring.boot;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.spi.ClassifierInfo;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * UP when the guard's model is loaded and answers a check (a fixed probe text: cached after the first call, so
 * cheap); DOWN when the guard is closed or the probe check failed. Details: classifier id, device, taxonomy.
 */
public final class ParapetHealthIndicator implements HealthIndicator {
  static final String PROBE = "Parapet health probe: hello";
  private final Guard guard;

  public ParapetHealthIndicator(Guard guard) {
    this.guard = guard;
  }

  @Override
  public Health health() {
    try {
      ClassifierInfo info = guard.classifierInfo();
      Verdict v = guard.checkPrompt(PROBE);
      Health.Builder b = v.failure().isPresent() ? Health.down().withDetail("failure", v.failure().get().kind())
          : Health.up();
      return b.withDetail("classifier", info.id()).withDetail("device", info.device())
          .withDetail("taxonomy", guard.taxonomy().name()).build();
    } catch (IllegalStateException closed) {
      return Health.down().withDetail("error", "guard closed").build();
    }
  }
}
