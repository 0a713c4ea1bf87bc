package dev.parapet.guard;

import dev.parapet.guard.event.GuardListener;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.taxonomy.Taxonomy;
import dev.parapet.guard.text.TextViews;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything a {@link Guard.Builder} was told, as one immutable value: the builder hands it to the guard, and
 * {@link Guard#newBuilder()} starts a builder from it. Nullable components say "not set": {@code classifier}
 * (use the default provider), {@code taxonomy} (the classifier's), {@code cacheExpireAfterWrite} (no expiry),
 * {@code sharedCache} (a new cache), {@code executor} (a pool of the guard's own), {@code timeout} (no limit),
 * {@code classifierOwnerClosed} (the classifier is not borrowed from another guard).
 *
 * @param timer the time source of timeouts (tests: a manual clock)
 *
 * @param ownsClassifier whether the guard closes the classifier on close()
 * @param classifierOwnerClosed the closed flag of the guard that owns a classifier borrowed through newBuilder()
 * @param cacheEnabled false for noCache()
 * @param sharedCache the cache of the guard this one is derived from (cache settings left unchanged)
 */
record GuardSettings(Classifier classifier, boolean ownsClassifier, AtomicBoolean classifierOwnerClosed,
    Taxonomy taxonomy, Policy policy, boolean cacheEnabled, long cacheMaximumSize, Duration cacheExpireAfterWrite,
    ScoreCache sharedCache, Executor executor, Duration timeout, List<GuardListener> listeners, Ticker ticker,
    int maxInputChars, StreamOptions streamOptions, TextViews textViews, GuardTimer timer) {

  GuardSettings {
    listeners = List.copyOf(listeners);
  }

  /**
   * The settings of a guard derived from the one these settings built: same classifier (not owned, and unusable
   * once {@code ownerClosed} is set), the given cache and executor, everything else unchanged.
   */
  GuardSettings derived(Classifier shared, AtomicBoolean ownerClosed, ScoreCache cache, Executor sharedExecutor) {
    return new GuardSettings(shared, false, ownerClosed, taxonomy, policy, cache != null, cacheMaximumSize,
        cacheExpireAfterWrite, cache, sharedExecutor, timeout, listeners, ticker, maxInputChars, streamOptions,
        textViews, timer);
  }

  /** These settings with the classifier the guard actually uses (the default provider's when none was set). */
  GuardSettings withClassifier(Classifier used, boolean owned) {
    return new GuardSettings(used, owned, classifierOwnerClosed, taxonomy, policy, cacheEnabled, cacheMaximumSize,
        cacheExpireAfterWrite, sharedCache, executor, timeout, listeners, ticker, maxInputChars, streamOptions,
        textViews, timer);
  }
}
