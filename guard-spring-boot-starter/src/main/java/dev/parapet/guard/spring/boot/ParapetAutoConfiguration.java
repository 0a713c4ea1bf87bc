package dev.parapet.guard.spring.boot;

import dev.parapet.guard.Guard;
import dev.parapet.guard.event.GuardListener;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spring.ai.ParapetAdvisor;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Creates a {@link Classifier} (the embedded default model, or {@code parapet.model.path}), a {@link Guard} and a
 * {@link ParapetAdvisor} from {@code parapet.*}; each bean only when the application has none of its own. With
 * Micrometer and a {@link MeterRegistry} bean: {@link ParapetMeters}; with Actuator: {@link ParapetHealthIndicator}.
 * {@code parapet.enabled=false} turns all of it off.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({Guard.class, ParapetAdvisor.class})
@ConditionalOnProperty(prefix = "parapet", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(ParapetProperties.class)
public class ParapetAutoConfiguration {

  /** The model; closed by Spring when the context closes (the guard does not own it). */
  @Bean
  @ConditionalOnMissingBean
  public Classifier parapetClassifier(ParapetProperties properties) {
    return GuardFactory.classifier(properties.getModel());
  }

  @Bean
  @ConditionalOnMissingBean
  public Guard parapetGuard(ParapetProperties properties, Classifier classifier,
      ObjectProvider<GuardListener> listeners) {
    return GuardFactory.guard(properties, classifier, listeners.orderedStream().toList());
  }

  @Bean
  @ConditionalOnMissingBean
  public ParapetAdvisor parapetAdvisor(ParapetProperties properties, Guard guard) {
    return ParapetAdvisor.builder(guard).order(properties.getAdvisorOrder())
        .refusalMessage(properties.getRefusalMessage()).build();
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean(MeterRegistry.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    ParapetMeters parapetMeters(MeterRegistry registry) {
      return new ParapetMeters(registry);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "parapetHealthIndicator")
    ParapetHealthIndicator parapetHealthIndicator(Guard guard) {
      return new ParapetHealthIndicator(guard);
    }
  }
}
