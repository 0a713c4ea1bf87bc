package dev.parapet.guard.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options that pick and configure the guard; shared by classify, stream, eval and eval-stream. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "default|DIR", defaultValue = "default",
      description = "The embedded default model, or a model directory (with parapet-model.json). Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--family", paramLabel = "FAMILY",
      description = "Decoder family when DIR's manifest does not say (e.g. llama-guard-3, llama-guard-4).")
  String family;

  @Option(names = "--taxonomy", paramLabel = "NAME|FILE.json",
      description = "Taxonomy preset (llama-guard-3, llama-guard-3-1b, aegis-2.0, ailuminate-1.0) or a JSON file. Default: the model's.")
  String taxonomy;

  @Option(names = "--policy", paramLabel = "SPEC",
      description = "Policy spec, e.g. \"default=block@0.5, S6=flag@0.7, S14=off\". Default: default=block@0.5.")
  String policy;

  @Option(names = "--device", paramLabel = "cpu|cuda", defaultValue = "cpu",
      description = "Where to run the model; cuda falls back to cpu with a warning. Default: ${DEFAULT-VALUE}.")
  String device;

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

  EngineOptions toEngineOptions() {
    String d = device.trim().toLowerCase(Locale.ROOT);
    if (!d.equals("cpu") && !d.equals("cuda") && !d.startsWith("cuda:")) {
      throw new IllegalArgumentException("--device must be cpu or cuda (or cuda:N), was '" + device + "'");
    }
    Optional<EngineOptions.Remote> r = Optional.empty();
    if (remote != null) {
      if (remoteModel == null || remoteModel.isBlank()) {
        throw new IllegalArgumentException("--remote needs --remote-model NAME, the model name the server serves"
            + " (vLLM --served-model-name, e.g. meta-llama/Llama-Guard-3-8B)");
      }
      r = Optional.of(new EngineOptions.Remote(remote, remoteModel, Optional.ofNullable(remoteTokenFile)));
    } else if (remoteModel != null || remoteTokenFile != null) {
      throw new IllegalArgumentException("--remote-model and --remote-token-file need --remote URL");
    }
    return new EngineOptions(model, Optional.ofNullable(family), Optional.ofNullable(taxonomy),
        Optional.ofNullable(policy), d, intraOpThreads, r);
  }
}
