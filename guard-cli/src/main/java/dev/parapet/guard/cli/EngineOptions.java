package dev.parapet.guard.cli;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
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
 * @param remote a guard model served by vLLM instead of a local one; {@code model} is then the folder with its
 *     tokenizer.json (+ parapet-model.json)
 */
public record EngineOptions(
    String model, Optional<String> family, Optional<String> taxonomy, Optional<String> policy, String device,
    int threads, Optional<Remote> remote) {

  /**
   * A remote guard server ({@code --remote}).
   *
   * @param url the server root, e.g. {@code http://gpu-box:8000}
   * @param model the served model name ({@code --remote-model})
   * @param tokenFile a file holding the API key ({@code --remote-token-file}), if any
   * @param breakerOpenFor how long the circuit breaker stays open ({@code --remote-breaker-open}); empty: the
   *     classifier's default
   */
  public record Remote(String url, String model, Optional<Path> tokenFile, Optional<Duration> breakerOpenFor) {
    public Remote {
      requireNonNull(url, "url");
      requireNonNull(model, "model");
      requireNonNull(tokenFile, "tokenFile");
      requireNonNull(breakerOpenFor, "breakerOpenFor");
    }

    /** A remote server with the classifier's default circuit breaker. */
    public Remote(String url, String model, Optional<Path> tokenFile) {
      this(url, model, tokenFile, Optional.empty());
    }
  }

  /** Options for a local model (no {@code --remote}). */
  public EngineOptions(String model, Optional<String> family, Optional<String> taxonomy, Optional<String> policy,
      String device, int threads) {
    this(model, family, taxonomy, policy, device, threads, Optional.empty());
  }

  public EngineOptions {
    requireNonNull(remote, "remote");
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
