package dev.parapet.guard.spark;

import dev.parapet.guard.Guard;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Guard per executor JVM and {@link ModerationSpec.GuardKey}, created lazily by the first task that needs it
 * and shared by every later task of that JVM (a Guard is thread-safe), closed by a JVM shutdown hook.
 *
 * <p>This is the one place Parapet keeps static mutable state, on purpose: Spark gives a task no per-executor
 * object to hang a model on, and a task must not load the model itself (tens of MB and about a second per load,
 * for every partition) nor receive it from the driver (the spec that travels with the closure carries strings
 * only). A JVM-wide map keyed by the spec is the standard Spark idiom for this; the shutdown hook releases the
 * native ONNX Runtime sessions when the executor exits.
 */
final class ExecutorGuards {
  private static final System.Logger LOG = System.getLogger(ExecutorGuards.class.getName());
  private static final ConcurrentMap<ModerationSpec.GuardKey, Guard> GUARDS = new ConcurrentHashMap<>();
  private static final AtomicInteger CREATED = new AtomicInteger();
  private static final Thread HOOK = new Thread(ExecutorGuards::closeAll, "parapet-spark-guards-close");

  static {
    Runtime.getRuntime().addShutdownHook(HOOK);
  }

  private ExecutorGuards() {}

  /**
   * The shared Guard for {@code key}, built on first use. A failed build is not remembered (the next task tries
   * again) and is thrown to the caller, which records it on every row of its partition.
   */
  static Guard get(ModerationSpec.GuardKey key) {
    return GUARDS.computeIfAbsent(key, ExecutorGuards::create);
  }

  /** How many Guards this JVM has built (the benchmark and a test read it). */
  static int created() {
    return CREATED.get();
  }

  /** Builds a Guard for {@code key} (outside the holder: the driver uses it to check a spec, tests to compare). */
  static Guard create(ModerationSpec.GuardKey key) {
    long t0 = System.nanoTime();
    Classifier classifier = ModelRef.parse(key.model()).load(key.threads());
    try {
      Guard.Builder b = Guard.builder().classifier(classifier).policy(PolicySpec.parse(key.policy()));
      if (key.taxonomy() != null) {
        b.taxonomy(taxonomy(key.taxonomy()));
      }
      if (key.maxInputChars() > 0) {
        b.maxInputChars(key.maxInputChars());
      }
      if (key.timeoutSeconds() > 0) {
        b.timeout(java.time.Duration.ofSeconds(key.timeoutSeconds()));
      }
      Guard g = b.build();
      CREATED.incrementAndGet();
      LOG.log(Level.INFO, () -> "Parapet guard for " + key + " ready in " + (System.nanoTime() - t0) / 1_000_000
          + " ms (model " + g.classifierInfo().id() + ")");
      return g;
    } catch (RuntimeException e) {
      classifier.close();
      throw e;
    }
  }

  /** A preset name, or a JSON file (a value ending in {@code .json} or naming an existing file). */
  static Taxonomy taxonomy(String spec) {
    Path p = Path.of(spec);
    if (spec.endsWith(".json") || Files.isRegularFile(p)) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException("taxonomy " + spec + ": no such file on this executor; pass a preset "
            + "(llama-guard-3, llama-guard-3-1b, aegis-2.0, ailuminate-1.0) or a JSON file present on every executor");
      }
      return Taxonomy.fromJson(p);
    }
    return Taxonomies.named(spec);
  }

  /** Closes every Guard (the shutdown hook; tests call it to start from none). */
  static void closeAll() {
    List<Guard> all = new ArrayList<>(GUARDS.values());
    GUARDS.clear();
    for (Guard g : all) {
      try {
        g.close();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "closing a Parapet guard failed", e);
      }
    }
  }
}
