package dev.parapet.guard.cli;

import dev.parapet.guard.stream.StreamOptions;
import picocli.CommandLine.Option;

/** Streaming-session options shared by stream, eval-stream and demo. */
final class StreamSettings {
  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
  picocli.CommandLine.Model.CommandSpec mixee;

  @Option(names = "--check-every", paramLabel = "N", description = "Check after every N new tokens (session default: 32).")
  Integer checkEvery;

  @Option(names = "--debounce", paramLabel = "K", description = "Stop after K consecutive unsafe checks (session default: 1).")
  Integer debounce;

  @Option(names = "--hold-back", paramLabel = "H", description = "Keep the last H checked tokens held until a later check passes (default 0).")
  Integer holdBack;

  @Option(names = "--no-sentence-checks", description = "Do not also check at sentence ends (the session default).")
  boolean noSentenceChecks;

  @Option(names = "--sentence-checks", description = "Also check when a token ends a sentence.")
  boolean sentenceChecks;

  StreamOptions toOptions() {
    StreamOptions.Builder b = StreamOptions.defaults().toBuilder();
    if (checkEvery != null) {
      b.checkEveryTokens(checkEvery);
    }
    if (debounce != null) {
      b.debounce(debounce);
    }
    if (holdBack != null) {
      b.holdBackTokens(holdBack);
    }
    if (noSentenceChecks && sentenceChecks) {
      throw new picocli.CommandLine.ParameterException(mixee.commandLine(),
          "--sentence-checks and --no-sentence-checks contradict each other; give one");
    }
    if (noSentenceChecks) {
      b.checkAtSentenceEnd(false);
    }
    if (sentenceChecks) {
      b.checkAtSentenceEnd(true);
    }
    return b.build();
  }
}
