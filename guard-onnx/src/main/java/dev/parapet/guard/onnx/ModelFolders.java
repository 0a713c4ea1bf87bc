package dev.parapet.guard.onnx;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Loads an exported model folder with the backend its {@code parapet-model.json} names: the {@code family} key
 * selects the {@link ClassifierProvider} of that name through {@link ServiceLoader} (guard-onnx registers one per
 * decoder family: {@code llama-guard-3}, {@code llama-guard-4}, {@code qwen3guard-gen}, {@code shieldgemma}), so
 * another module can add a family by registering a provider. Usage:
 * {@code Guard.builder().classifier(ModelFolders.load(Path.of("llama-guard-3-1b"))).build()}. Stateless.
 */
public final class ModelFolders {
  private ModelFolders() {}

  /** Loads {@code dir} with default options. */
  public static Classifier load(Path dir) {
    return load(dir, Map.of());
  }

  /**
   * Loads {@code dir} with the provider the manifest's family names.
   *
   * @param options provider options besides {@code model} (for decoders: {@code device}, {@code threads},
   *     {@code category-mode})
   * @throws ModelLoadException when the manifest is missing or no provider serves its family (the message lists
   *     the families that are available)
   */
  public static Classifier load(Path dir, Map<String, String> options) {
    requireNonNull(dir, "dir");
    requireNonNull(options, "options");
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException(dir + ": not a directory; point at the folder with " + ModelManifest.FILE_NAME);
    }
    ModelManifest.read(dir); // the manifest's own checks and messages, before any provider runs
    return ClassifierProvider.forModelFolder(dir, options);
  }
}
