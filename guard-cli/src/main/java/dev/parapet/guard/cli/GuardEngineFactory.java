package dev.parapet.guard.cli;

import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.decoder.DecoderExportCheck;
import dev.parapet.guard.onnx.decoder.DecoderGuardClassifier;
import dev.parapet.guard.onnx.decoder.DecoderOptions;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.spi.Classifier;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads the real models: {@code default} is the embedded encoder (from guard-default-model on the classpath);
 * a folder is loaded by its manifest's family ({@code parapet-encoder}, or a decoder family such as
 * {@code llama-guard-3}); with {@code --remote}, a guard model served by vLLM ({@link RemoteEngines}).
 */
final class GuardEngineFactory implements EngineFactory {
  static final String ENCODER_FAMILY = "parapet-encoder";

  @Override
  public Engine open(EngineOptions options) {
    if (options.remote().isPresent()) {
      return GuardEngine.create(RemoteEngines.classifier(options, options.remote().get()), options);
    }
    OnnxOptions onnx = onnxOptions(options);
    Classifier classifier;
    if (options.model().equals("default")) {
      classifier = EncoderGuardClassifier.loadDefault(onnx);
    } else {
      Path dir = Path.of(options.model());
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--model " + options.model() + ": not a directory; pass 'default' for "
            + "the embedded model, or a model folder holding model.onnx, tokenizer.json and "
            + ModelManifest.FILE_NAME + " (write one with 'parapet model init DIR --family F')");
      }
      String family = options.family().orElseGet(() -> ModelManifest.read(dir).family());
      classifier = loadFolder(dir, family, onnx);
    }
    return GuardEngine.create(classifier, options);
  }

  /** Decoder folders: {@link DecoderExportCheck} (summary, then warnings prefixed "WARN "). */
  @Override
  public java.util.List<String> checkExport(Path dir, String family) {
    java.util.Optional<GuardFamily> decoder = DecoderExportCheck.family(family);
    if (decoder.isEmpty()) {
      return java.util.List.of();
    }
    DecoderExportCheck.Result r = DecoderExportCheck.check(dir, decoder.get());
    java.util.List<String> lines = new java.util.ArrayList<>();
    lines.add(r.summary());
    for (String w : r.warnings()) {
      lines.add("WARN " + w);
    }
    return lines;
  }

  static OnnxOptions onnxOptions(EngineOptions options) {
    OnnxOptions.Builder b = OnnxOptions.builder().device(Device.parse(options.device()));
    if (options.threads() > 0) {
      b.intraOpThreads(options.threads());
    }
    return b.build();
  }

  private static Classifier loadFolder(Path dir, String family, OnnxOptions onnx) {
    if (family.equals(ENCODER_FAMILY)) {
      return EncoderGuardClassifier.load(dir, onnx);
    }
    GuardFamily decoder;
    try {
      decoder = GuardFamily.parse(family);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model " + dir + ": " + e.getMessage() + " (or " + ENCODER_FAMILY
          + "); set the family in " + ModelManifest.FILE_NAME + " or pass --family", e);
    }
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().onnx(onnx).family(decoder).build());
  }
}
