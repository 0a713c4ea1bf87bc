package dev.parapet.guard.cli;

import dev.parapet.guard.stream.StreamOptions;
import picocli.CommandLine.Option;

/** Streaming-session options shared by stream, eval-stream and demo. */
final class StreamSettings {
  @Option(names = "--check-every", paramLabel = "N", description = "Check after every N new tokens (session default: 16).")
  Integer checkEvery;

  @Option(names = "--debounce", paramLabel = "K", description = "Stop after K consecutive unsafe checks (session default: 1).")
  Integer debounce;

  @Option(names = "--hold-back", paramLabel = "H", description = "Keep the last H checked tokens held until a later check passes (default 0).")
  Integer holdBack;

  @Option(names = "--no-sentence-checks", description = "Do not also check at sentence ends.")
  boolean noSentenceChecks;

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
    if (noSentenceChecks) {
      b.checkAtSentenceEnd(false);
    }
    return b.build();
  }
}
