package dev.parapet.guard.cli;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * How to load a guard, from the command line. Immutable.
 *
 * @param model {@code default} (the embedded model) or a model directory
 * @param family the decoder family for a directory without a manifest family (e.g. {@code llama-guard-3})
 * @param taxonomy a preset name or a taxonomy JSON file; empty: the model's own
 * @param policy a policy spec; empty: the default policy
 * @param device {@code cpu} or {@code cuda}
 * @param threads intra-op threads for the runtime; 0: the runtime's default
 */
public record EngineOptions(
    String model, Optional<String> family, Optional<String> taxonomy, Optional<String> policy, String device,
    int threads) {
  public EngineOptions {
    requireNonNull(model, "model");
    requireNonNull(family, "family");
    requireNonNull(taxonomy, "taxonomy");
    requireNonNull(policy, "policy");
    requireNonNull(device, "device");
    if (threads < 0) {
      throw new IllegalArgumentException("--threads must be >= 0, was " + threads);
    }
  }

  /** The embedded default model with default settings. */
  public static EngineOptions defaults() {
    return new EngineOptions("default", Optional.empty(), Optional.empty(), Optional.empty(), "cpu", 0);
  }
}
