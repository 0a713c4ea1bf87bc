package dev.parapet.guard.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parapet.guard.Guard;
import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spring.ai.ParapetAdvisor;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.testing.ScriptedClassifier;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Every property and condition of the auto-configuration, on a scripted classifier (no model load). */
class ParapetAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(ParapetAutoConfiguration.class))
      .withBean(Classifier.class, ParapetAutoConfigurationTest::scripted);

  static ScriptedClassifier scripted() {
    return ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).throwOn("explode-classifier")
        .throwOn("health probe").build();
  }

  @Test
  void registeredInAutoConfigurationImports() {
    List<String> candidates = ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader())
        .getCandidates();
    assertThat(candidates).contains(ParapetAutoConfiguration.class.getName());
  }

  @Test
  void defaults_createGuardAndAdvisor_onTheUsersClassifier() {
    runner.run(ctx -> {
      assertThat(ctx).hasSingleBean(Guard.class).hasSingleBean(ParapetAdvisor.class)
          .hasSingleBean(Classifier.class).doesNotHaveBean(ParapetMeters.class); // no MeterRegistry bean
      Guard guard = ctx.getBean(Guard.class);
      assertThat(guard.policy().failureMode()).isEqualTo(FailureMode.CLOSED);
      assertThat(guard.streamOptions()).isEqualTo(StreamOptions.builder().checkEveryTokens(32).build());
      assertThat(guard.checkPrompt("a pipe bomb").isBlocked()).isTrue();
      ParapetAdvisor advisor = ctx.getBean(ParapetAdvisor.class);
      assertThat(advisor.getOrder()).isEqualTo(ParapetAdvisor.DEFAULT_ORDER);
      assertThat(advisor.refusalMessage()).isEqualTo(ParapetAdvisor.DEFAULT_REFUSAL);
      assertThat(advisor.streamOptions()).isEqualTo(guard.streamOptions());
    });
  }

  @Test
  void disabled_createsNothing() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ParapetAutoConfiguration.class))
        .withPropertyValues("parapet.enabled=false").run(ctx -> assertThat(ctx).hasNotFailed()
            .doesNotHaveBean(Guard.class).doesNotHaveBean(ParapetAdvisor.class).doesNotHaveBean(Classifier.class)
            .doesNotHaveBean(ParapetHealthIndicator.class));
  }

  @Test
  void policyAndFailMode_areApplied() {
    runner.withPropertyValues("parapet.policy=default=block@0.9, S9=flag@0.5", "parapet.fail-mode=open")
        .run(ctx -> {
          Guard guard = ctx.getBean(Guard.class);
          assertThat(guard.policy().failureMode()).isEqualTo(FailureMode.OPEN);
          assertThat(guard.checkPrompt("a pipe bomb").isFlagged()).isTrue();
          var failed = guard.checkPrompt("explode-classifier");
          assertThat(failed.isAllowed()).isTrue();
          assertThat(failed.failure()).isPresent();
        });
    runner.withPropertyValues("parapet.policy=default=block@0.9, onError=open", "parapet.fail-mode=closed")
        .run(ctx -> assertThat(ctx.getBean(Guard.class).checkPrompt("explode-classifier").isBlocked()).isTrue());
  }

  @Test
  void badPolicy_failsStartupNamingTheProperty() {
    runner.withPropertyValues("parapet.policy=default=blok").run(ctx -> assertThat(ctx).getFailure()
        .hasStackTraceContaining("parapet.policy").hasStackTraceContaining("blok"));
  }

  @Test
  void badFailMode_failsStartup() {
    runner.withPropertyValues("parapet.fail-mode=sometimes").run(ctx -> assertThat(ctx).hasFailed()
        .getFailure().hasStackTraceContaining("parapet.fail-mode"));
  }

  @Test
  void taxonomy_presetOrJsonFile(@TempDir Path tmp) throws Exception {
    runner.withPropertyValues("parapet.taxonomy=aegis-2.0")
        .run(ctx -> assertThat(ctx.getBean(Guard.class).taxonomy()).isEqualTo(Taxonomies.aegis2()));
    Path file = tmp.resolve("tax.json");
    Files.writeString(file, Taxonomies.ailuminate().toJson());
    runner.withPropertyValues("parapet.taxonomy=" + file)
        .run(ctx -> assertThat(ctx.getBean(Guard.class).taxonomy()).isEqualTo(Taxonomies.ailuminate()));
    runner.withPropertyValues("parapet.taxonomy=no-such-taxonomy").run(ctx -> assertThat(ctx).getFailure()
        .hasStackTraceContaining("parapet.taxonomy=no-such-taxonomy").hasStackTraceContaining("aegis-2.0"));
  }

  @Test
  void streamOptions_areApplied_andChecked() {
    runner.withPropertyValues("parapet.stream.check-every=5", "parapet.stream.hold-back=2").run(ctx -> {
      StreamOptions expected = StreamOptions.builder().checkEveryTokens(5).holdBackTokens(2).build();
      assertThat(ctx.getBean(Guard.class).streamOptions()).isEqualTo(expected);
      assertThat(ctx.getBean(ParapetAdvisor.class).streamOptions()).isEqualTo(expected);
    });
    runner.withPropertyValues("parapet.stream.check-every=0").run(ctx -> assertThat(ctx).getFailure()
        .hasStackTraceContaining("parapet.stream.check-every").hasStackTraceContaining("checkEveryTokens must be >= 1"));
    runner.withPropertyValues("parapet.stream.hold-back=-1").run(ctx -> assertThat(ctx).getFailure()
        .hasStackTraceContaining("holdBackTokens must be >= 0"));
  }

  @Test
  void cacheMaxSize_zeroTurnsTheCacheOff_negativeFails() {
    runner.run(ctx -> {
      Guard guard = ctx.getBean(Guard.class);
      guard.checkPrompt("hello there");
      assertThat(guard.checkPrompt("hello there").cached()).isTrue();
      assertThat(((ScriptedClassifier) ctx.getBean(Classifier.class)).classifyCalls()).isEqualTo(1);
    });
    runner.withPropertyValues("parapet.cache.max-size=0").run(ctx -> {
      Guard guard = ctx.getBean(Guard.class);
      guard.checkPrompt("hello there");
      assertThat(guard.checkPrompt("hello there").cached()).isFalse();
      assertThat(((ScriptedClassifier) ctx.getBean(Classifier.class)).classifyCalls()).isEqualTo(2);
    });
    runner.withPropertyValues("parapet.cache.max-size=-3").run(ctx -> assertThat(ctx).getFailure()
        .hasStackTraceContaining("parapet.cache.max-size must be >= 0"));
  }

  @Test
  void refusalMessageAndOrder_configureTheAdvisor() {
    runner.withPropertyValues("parapet.refusal-message=Not here.", "parapet.advisor-order=42").run(ctx -> {
      ParapetAdvisor advisor = ctx.getBean(ParapetAdvisor.class);
      assertThat(advisor.refusalMessage()).isEqualTo("Not here.");
      assertThat(advisor.getOrder()).isEqualTo(42);
    });
    runner.withPropertyValues("parapet.refusal-message= ").run(ctx -> assertThat(ctx).getFailure()
        .hasStackTraceContaining("refusalMessage must not be blank"));
  }

  @Test
  void modelPath_thatIsNoFolder_failsStartupNamingTheProperty(@TempDir Path tmp) {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ParapetAutoConfiguration.class))
        .withPropertyValues("parapet.model.path=" + tmp.resolve("missing"))
        .run(ctx -> assertThat(ctx).getFailure().hasStackTraceContaining("parapet.model.path=")
            .hasStackTraceContaining("not a directory"));
  }

  @Test
  void modelDevice_unknown_failsStartupNamingTheProperty() {
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ParapetAutoConfiguration.class))
        .withPropertyValues("parapet.model.device=tpu")
        .run(ctx -> assertThat(ctx).getFailure().hasStackTraceContaining("parapet.model.device: "));
  }

  @Test
  void userBeans_winOverTheAutoConfiguredOnes() {
    Guard own = Guard.builder().classifier(scripted()).build();
    try {
      runner.withBean("myGuard", Guard.class, () -> own).run(ctx -> {
        assertThat(ctx).hasSingleBean(Guard.class);
        assertThat(ctx.getBean(Guard.class)).isSameAs(own);
      });
    } finally {
      own.close();
    }
    runner.withBean("myAdvisor", ParapetAdvisor.class,
        () -> ParapetAdvisor.builder(own).order(7).build()).run(ctx -> {
          assertThat(ctx).hasSingleBean(ParapetAdvisor.class);
          assertThat(ctx.getBean(ParapetAdvisor.class).getOrder()).isEqualTo(7);
        });
    runner.withBean("parapetHealthIndicator", HealthIndicator.class, () -> () -> null)
        .run(ctx -> assertThat(ctx).doesNotHaveBean(ParapetHealthIndicator.class));
    runner.withBean(SimpleMeterRegistry.class).withBean("myMeters", ParapetMeters.class,
        () -> new ParapetMeters(new SimpleMeterRegistry())).run(ctx -> assertThat(ctx).hasSingleBean(ParapetMeters.class)
            .getBean(ParapetMeters.class).isSameAs(ctx.getBean("myMeters")));
  }

  @Test
  void micrometer_countsChecksDecisionsLatencyAndStreamStops() {
    runner.withBean(SimpleMeterRegistry.class).run(ctx -> {
      assertThat(ctx).hasSingleBean(ParapetMeters.class);
      Guard guard = ctx.getBean(Guard.class);
      MeterRegistry registry = ctx.getBean(MeterRegistry.class);
      guard.checkPrompt("a pipe bomb");
      guard.checkPrompt("bread");
      assertThat(registry.get("parapet.checks").tag("decision", "block").tag("target", "prompt").counter().count())
          .isEqualTo(1.0);
      assertThat(registry.get("parapet.decisions").tag("category", "S9").counter().count()).isEqualTo(1.0);
      assertThat(registry.get("parapet.decisions").tag("category", "none").counter().count()).isEqualTo(1.0);
      assertThat(registry.get("parapet.check.latency").tag("target", "prompt").timer().count()).isEqualTo(2);
      guard.checkPrompt("explode-classifier");
      assertThat(registry.get("parapet.classifier.failures").counter().count()).isEqualTo(1.0);
      try (var s = guard.openStream(dev.parapet.guard.Conversation.ofPrompt("story"),
          StreamOptions.builder().checkEveryTokens(1).build())) {
        s.onToken("he built ");
        assertThat(s.onToken("a pipe bomb").isStop()).isTrue();
      }
      assertThat(registry.get("parapet.stream.stops").counter().count()).isEqualTo(1.0);
    });
  }

  @Test
  void micrometer_absentOrWithoutRegistry_noMeters() {
    runner.withClassLoader(new FilteredClassLoader("io.micrometer.core")).run(ctx -> assertThat(ctx)
        .hasNotFailed().hasSingleBean(Guard.class).doesNotHaveBean(ParapetMeters.class));
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(ParapetMeters.class));
  }

  @Test
  void actuator_healthUpWhenTheModelAnswers_downWhenItFails_absentWithoutActuator() {
    runner.run(ctx -> {
      assertThat(ctx).hasSingleBean(ParapetHealthIndicator.class);
      Guard guard = ctx.getBean(Guard.class);
      var health = ctx.getBean(ParapetHealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.DOWN); // the script throws on the probe text
      assertThat(health.getDetails()).containsKey("failure");
      assertThat(new ParapetHealthIndicator(guard.newBuilder().build()).health().getStatus()).isEqualTo(Status.DOWN);
    });
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ParapetAutoConfiguration.class))
        .withBean(Classifier.class, ScriptedClassifier::safe).run(ctx -> {
          var health = ctx.getBean(ParapetHealthIndicator.class).health();
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsKeys("classifier", "device", "taxonomy");
          ctx.getBean(Guard.class).close();
          assertThat(ctx.getBean(ParapetHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
    runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(ctx -> assertThat(ctx)
        .hasNotFailed().doesNotHaveBean(ParapetHealthIndicator.class));
  }
}
