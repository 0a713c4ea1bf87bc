package dev.parapet.guard.cli;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.Device;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How to load a guard, from the command line: the flags after parsing, typed. Immutable.
 *
 * @param model the embedded model or a model directory
 * @param family the family for a directory whose manifest does not name one (a decoder family such as
 *     {@code llama-guard-3}, or {@code parapet-encoder})
 * @param taxonomy a preset name or a taxonomy JSON file; empty: the model's own
 * @param policy a policy spec; empty: the default policy
 * @param device where the model runs
 * @param threads intra-op threads for the runtime; 0: the runtime's default
 * @param remote a guard model served by vLLM instead of a local one; {@code model} is then the folder with its
 *     tokenizer.json (+ parapet-model.json)
 */
public record EngineOptions(
    Model model, Optional<String> family, Optional<String> taxonomy, Optional<String> policy, Device device,
    int threads, Optional<Remote> remote) {

  /** Which model {@code --model} names: {@code default} (the embedded one) or a folder. */
  public sealed interface Model {
    /** The embedded default model from guard-default-model. */
    Model EMBEDDED = new Embedded();

    /** {@code "default"} for the embedded model, else the folder. */
    static Model parse(String spec) {
      requireNonNull(spec, "spec");
      return spec.equals("default") ? EMBEDDED : new Folder(Path.of(spec));
    }
  }

  /** The embedded model ({@code --model default}). */
  public record Embedded() implements Model {
    @Override
    public String toString() {
      return "default";
    }
  }

  /** A model folder ({@code --model DIR}). */
  public record Folder(Path dir) implements Model {
    public Folder {
      requireNonNull(dir, "dir");
    }

    @Override
    public String toString() {
      return dir.toString();
    }
  }

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

  /** Options for a local model (no {@code --remote}) without taxonomy, policy or thread settings. */
  public static EngineOptions local(Model model, Optional<String> family, Device device) {
    return new EngineOptions(model, family, Optional.empty(), Optional.empty(), device, 0, Optional.empty());
  }

  public EngineOptions {
    requireNonNull(model, "model");
    requireNonNull(family, "family");
    requireNonNull(taxonomy, "taxonomy");
    requireNonNull(policy, "policy");
    requireNonNull(device, "device");
    requireNonNull(remote, "remote");
    if (threads < 0) {
      throw new IllegalArgumentException("--threads must be >= 0, was " + threads);
    }
  }
}
