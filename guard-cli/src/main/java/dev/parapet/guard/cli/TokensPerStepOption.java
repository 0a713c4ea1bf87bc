package dev.parapet.guard.cli;

import picocli.CommandLine.Option;

/**
 * {@code --tokens-per-step}, shared by the commands that replay a response through a streaming session (stream,
 * eval-stream; a picocli mixin), so that it is declared and checked in one place.
 */
final class TokensPerStepOption {
  @Option(names = "--tokens-per-step", paramLabel = "N", defaultValue = "1",
      description = "Word pieces fed per onToken call. Default: ${DEFAULT-VALUE}.")
  int tokensPerStep;

  /** The number of word pieces per step, or an error naming the flag when it is below 1. */
  int value() {
    if (tokensPerStep < 1) {
      throw new IllegalArgumentException("--tokens-per-step must be >= 1, was " + tokensPerStep);
    }
    return tokensPerStep;
  }
}
