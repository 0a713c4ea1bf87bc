package dev.parapet.guard.spi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.ModelLoadException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** {@link ClassifierProvider#forModelFolder}: the one place that maps a folder's manifest family to a provider. */
final class ModelFolderLoader {
  private static final System.Logger LOG = System.getLogger(ClassifierProvider.class.getName());

  private ModelFolderLoader() {}

  static Classifier load(Path dir, Map<String, String> options) {
    requireNonNull(dir, "dir");
    requireNonNull(options, "options");
    if (options.containsKey("model")) {
      throw new IllegalArgumentException("options must not set 'model' (the folder is the dir argument): " + options);
    }
    if (!java.nio.file.Files.isDirectory(dir)) {
      throw new ModelLoadException(dir + ": not a directory; point at the exported folder with its"
          + " parapet-model.json");
    }
    Path manifest = dir.resolve("parapet-model.json");
    String family;
    try {
      family = new ObjectMapper().readTree(manifest.toFile()).path("family").asText("");
    } catch (IOException e) {
      throw new ModelLoadException(manifest + ": cannot read the model manifest (" + e.getMessage() + "); point"
          + " Guard.builder().model(...) at an exported folder with its parapet-model.json"
          + " (models/recipes/export/README.md)", e);
    }
    if (family.isEmpty()) {
      throw new ModelLoadException(manifest + ": no \"family\" key; write the manifest with"
          + " parapet model init DIR --family FAMILY");
    }
    List<String> seen = new ArrayList<>();
    try {
      for (ClassifierProvider p : ServiceLoader.load(ClassifierProvider.class)) {
        if (p.name().equals(family)) {
          Map<String, String> o = new HashMap<>(options);
          o.put("model", dir.toString());
          LOG.log(System.Logger.Level.DEBUG, "loading " + dir + " with classifier provider " + p.name());
          return requireNonNull(p.create(Map.copyOf(o)), "provider " + p.name() + " returned null");
        }
        seen.add(p.name());
      }
    } catch (ServiceConfigurationError e) {
      throw new ModelLoadException("loading ClassifierProvider services failed: " + e.getMessage(), e);
    }
    throw new ModelLoadException(manifest + ": no classifier provider for family '" + family + "' on the"
        + " classpath (available: " + seen + "); decoder families need dev.parapet:guard-onnx"
        + ("parapet-encoder".equals(family) ? "; the embedded default model needs no folder: use"
            + " Guard.builder().build()" : ""));
  }
}
