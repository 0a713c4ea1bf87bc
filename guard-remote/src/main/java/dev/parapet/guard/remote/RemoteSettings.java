package dev.parapet.guard.remote;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** The HTTP side of a {@link RemoteGuardClassifier}, checked by its builder. Immutable. */
record RemoteSettings(
    URI endpoint,
    String model,
    Optional<String> apiKey,
    int topLogprobs,
    Duration connectTimeout,
    Duration readTimeout,
    int maxConcurrency,
    int maxQueued,
    int maxRetries,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration maxRetryAfter,
    int breakerWindow,
    Duration breakerOpenFor,
    Clock clock,
    CompletionsClient.Sleeper sleeper) {

  @Override
  public String toString() { // never print the key
    return "RemoteSettings[" + endpoint + ", model=" + model + ", apiKey=" + (apiKey.isPresent() ? "***" : "none")
        + "]";
  }
}
