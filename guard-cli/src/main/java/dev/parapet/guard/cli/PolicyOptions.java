package dev.parapet.guard.cli;

import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --taxonomy} and {@code --policy}: what a verdict is judged against (a picocli mixin). */
final class PolicyOptions {
  @Option(names = "--taxonomy", paramLabel = "NAME|FILE.json",
      description = "Taxonomy preset (llama-guard-3, llama-guard-3-1b, aegis-2.0, ailuminate-1.0) or a JSON file. Default: the model's.")
  String taxonomy;

  @Option(names = "--policy", paramLabel = "SPEC",
      description = "Policy spec, e.g. \"default=block@0.5, S6=flag@0.7, S14=off\". Default: default=block@0.5.")
  String policy;

  Optional<String> taxonomy() {
    return Optional.ofNullable(taxonomy);
  }

  Optional<String> policy() {
    return Optional.ofNullable(policy);
  }
}
