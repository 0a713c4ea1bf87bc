package dev.parapet.guard.cli;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.spi.ClassifierProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Loads the real models: {@code default} is the embedded model, found through the default
 * {@link ClassifierProvider} on the classpath (guard-onnx + guard-default-model).
 */
final class GuardEngineFactory implements EngineFactory {
  @Override
  public Engine open(EngineOptions options) {
    if (options.model().equals("default")) {
      ClassifierProvider provider = ServiceLoader.load(ClassifierProvider.class).stream()
          .map(ServiceLoader.Provider::get).filter(ClassifierProvider::isDefault).findFirst()
          .orElseThrow(() -> new ModelLoadException("no default model on the classpath: add guard-onnx and "
              + "guard-default-model, or pass --model DIR"));
      Map<String, String> providerOptions = new LinkedHashMap<>();
      providerOptions.put("device", options.device());
      if (options.threads() > 0) {
        providerOptions.put("threads", Integer.toString(options.threads()));
      }
      return GuardEngine.create(provider.create(providerOptions), options);
    }
    Path dir = Path.of(options.model());
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--model " + options.model() + ": not a directory; pass 'default' for "
          + "the embedded model, or a model folder holding model.onnx, tokenizer.json and "
          + ModelManifest.FILE_NAME + " (write one with 'parapet model init DIR --family F')");
    }
    String family = options.family().orElseGet(() -> ModelManifest.read(dir).family());
    throw new IllegalArgumentException("--model " + dir + ": family '" + family
        + "' cannot be loaded by this build yet; use --model default");
  }
}
