package dev.parapet.guard.cli;

import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.RemoteGuardClassifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --remote URL}: a {@link RemoteGuardClassifier} from the shared model options. */
final class RemoteEngines {
  private RemoteEngines() {}

  static RemoteGuardClassifier classifier(EngineOptions options, EngineOptions.Remote remote) {
    if (options.model().equals("default")) {
      throw new IllegalArgumentException("--remote needs --model DIR: a folder with the served model's"
          + " tokenizer.json (and optionally parapet-model.json naming its family), so prompts are tokenized here");
    }
    RemoteGuardClassifier.Builder b = RemoteGuardClassifier.builder()
        .baseUrl(remote.url())
        .model(remote.model())
        .tokenizerDir(Path.of(options.model()));
    if (options.family().isPresent()) {
      try {
        b.family(GuardFamily.parse(options.family().get()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--family: " + e.getMessage(), e);
      }
    }
    remote.tokenFile().ifPresent(f -> b.apiKey(readToken(f)));
    // 20 reads: the classifier's default window; the flag only changes how long the breaker stays open.
    remote.breakerOpenFor().ifPresent(d -> b.circuitBreaker(20, d));
    return b.build();
  }

  private static String readToken(Path file) {
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException("--remote-token-file " + file + ": cannot read: " + e.getMessage(), e);
    }
    if (token.isEmpty()) {
      throw new IllegalArgumentException("--remote-token-file " + file + " is empty; put the server's API key in it");
    }
    return token;
  }
}
