package dev.parapet.guard.spi;

import java.util.Map;

/**
 * Creates classifiers by name; found by an explicit {@link java.util.ServiceLoader} call (for example when
 * {@code Guard.builder().build()} is given no classifier, it looks for the provider whose
 * {@link #isDefault()} is true). Implementations must have a public no-argument constructor and be
 * thread-safe ({@code create} may be called from any thread; a ServiceLoader instance is not shared by the
 * Guard, though).
 */
public interface ClassifierProvider {
  /** Short unique name, such as {@code "default"} or {@code "onnx-decoder"}. */
  String name();

  /** Whether this provider supplies the out-of-the-box default model. */
  default boolean isDefault() {
    return false;
  }

  /**
   * Creates a classifier.
   *
   * @param options provider-specific settings (for example {@code "device" -> "cuda"}); unknown keys must be
   *     rejected with a message that lists the known ones
   */
  Classifier create(Map<String, String> options);

  /**
   * Loads an exported model folder with the provider whose {@link #name()} is the {@code family} of the folder's
   * {@code parapet-model.json} (found through {@link java.util.ServiceLoader}), passing the folder as its
   * {@code model} option. {@code Guard.Builder.model(Path)} uses this; so can code that needs the classifier
   * itself.
   *
   * @param options provider options besides {@code model} (for the decoders: {@code device}, {@code threads},
   *     {@code category-mode})
   * @throws dev.parapet.guard.ModelLoadException when the folder or its manifest cannot be read, or no provider
   *     serves its family (the message lists the ones available)
   */
  static Classifier forModelFolder(java.nio.file.Path dir, Map<String, String> options) {
    return ModelFolderLoader.load(dir, options);
  }
}
