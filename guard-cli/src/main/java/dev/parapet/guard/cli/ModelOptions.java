package dev.parapet.guard.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options that pick and configure the guard; shared by classify, stream, eval and eval-stream. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "default|DIR", defaultValue = "default",
      description = "The embedded default model, or a model directory (with parapet-model.json). Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--family", paramLabel = "FAMILY",
      description = "Decoder family when DIR's manifest does not say (e.g. llama-guard-3, llama-guard-4).")
  String family;

  @Mixin PolicyOptions judged;

  @Mixin DeviceOption device;

  @Option(names = "--intra-op-threads", paramLabel = "N", defaultValue = "0",
      description = "Runtime threads per inference (0 = runtime default).")
  int intraOpThreads;

  @Option(names = "--remote", paramLabel = "URL",
      description = "Use a guard model served by vLLM (OpenAI-compatible /v1/completions) at URL, e.g."
          + " http://gpu-box:8000; --model DIR is then the folder with its tokenizer.json (+ parapet-model.json).")
  String remote;

  @Option(names = "--remote-model", paramLabel = "NAME",
      description = "The served model name on the --remote server (vLLM --served-model-name).")
  String remoteModel;

  @Option(names = "--remote-token-file", paramLabel = "FILE",
      description = "A file holding the --remote server's API key (vLLM --api-key), sent as a bearer token.")
  Path remoteTokenFile;

  @Option(names = "--remote-breaker-open", paramLabel = "DURATION",
      description = "How long the circuit breaker stays open after the --remote server failed (requests fail at once,"
          + " per the policy's failure mode), before one probe goes through: e.g. 2s, 500ms, 1m. Default: 30s.")
  String remoteBreakerOpen;

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");

  EngineOptions toEngineOptions() {
    Optional<EngineOptions.Remote> r = Optional.empty();
    if (remote != null) {
      if (remoteModel == null || remoteModel.isBlank()) {
        throw new IllegalArgumentException("--remote needs --remote-model NAME, the model name the server serves"
            + " (vLLM --served-model-name, e.g. meta-llama/Llama-Guard-3-8B)");
      }
      r = Optional.of(new EngineOptions.Remote(remote, remoteModel, Optional.ofNullable(remoteTokenFile),
          Optional.ofNullable(remoteBreakerOpen).map(ModelOptions::breakerOpen)));
    } else if (remoteModel != null || remoteTokenFile != null || remoteBreakerOpen != null) {
      throw new IllegalArgumentException("--remote-model, --remote-token-file and --remote-breaker-open need --remote URL");
    }
    return new EngineOptions(EngineOptions.Model.parse(model), Optional.ofNullable(family), judged.taxonomy(),
        judged.policy(), device.device(), intraOpThreads, r);
  }

  static Duration breakerOpen(String spec) {
    Matcher m = DURATION.matcher(spec.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException("--remote-breaker-open must be a positive duration like 2s, 500ms or 1m, was '"
          + spec + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      default -> Duration.ofMinutes(n);
    };
  }
}
