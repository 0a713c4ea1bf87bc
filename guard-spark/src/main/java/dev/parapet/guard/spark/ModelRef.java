package dev.parapet.guard.spark;

import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierProvider;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.decoder.DecoderGuardClassifier;
import dev.parapet.guard.onnx.decoder.DecoderOptions;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The parsed form of {@link ModerationSpec#model()}: what an executor loads. The classifier is always created on
 * the executor from this small description, so no model bytes travel through the driver or with a closure.
 */
record ModelRef(Kind kind, String value) {
  static final String ENCODER_FAMILY = "parapet-encoder";
  static final String REMOTE_PREFIX = "remote:";
  static final String PROVIDER_PREFIX = "provider:";

  enum Kind {
    DEFAULT, FOLDER, REMOTE, PROVIDER
  }

  /**
   * Parses a model string.
   *
   * @throws IllegalArgumentException for an empty string, an empty {@code provider:}, or a {@code remote:} string
   *     not of the form {@link RemoteModel#FORM}
   */
  static ModelRef parse(String model) {
    String m = model.trim();
    if (m.isEmpty()) {
      throw new IllegalArgumentException("model must not be empty: use 'default', a model folder path, "
          + RemoteModel.FORM + ", or provider:NAME");
    }
    if (m.equals("default")) {
      return new ModelRef(Kind.DEFAULT, m);
    }
    if (m.startsWith(REMOTE_PREFIX)) {
      // checked here, on the driver, so a malformed URL fails the job at once instead of every row on the executors
      RemoteModel.parse(m.substring(REMOTE_PREFIX.length()));
      return new ModelRef(Kind.REMOTE, m.substring(REMOTE_PREFIX.length()));
    }
    if (m.startsWith(PROVIDER_PREFIX)) {
      String name = m.substring(PROVIDER_PREFIX.length()).trim();
      if (name.isEmpty()) {
        throw new IllegalArgumentException("model '" + m + "': name the ClassifierProvider, e.g. provider:my-model");
      }
      return new ModelRef(Kind.PROVIDER, name);
    }
    return new ModelRef(Kind.FOLDER, m);
  }

  /** Loads the classifier (on the executor). */
  Classifier load(int threads) {
    OnnxOptions.Builder onnx = OnnxOptions.builder();
    if (threads > 0) {
      onnx.intraOpThreads(threads);
    }
    switch (kind) {
      case DEFAULT:
        return EncoderGuardClassifier.loadDefault(onnx.build());
      case FOLDER:
        return loadFolder(Path.of(value), onnx.build());
      case PROVIDER:
        return loadProvider(value);
      case REMOTE:
        return RemoteModel.parse(value).load();
      default:
        throw new IllegalStateException("unknown model kind " + kind);
    }
  }

  private static Classifier loadFolder(Path dir, OnnxOptions onnx) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model " + dir + ": not a directory on this executor; pass 'default' for "
          + "the embedded model, or a model folder (model.onnx, tokenizer.json, " + ModelManifest.FILE_NAME
          + ") that exists at this path on every executor (shared storage, or ship it with --archives)");
    }
    String family = ModelManifest.read(dir).family();
    if (family.equals(ENCODER_FAMILY)) {
      return EncoderGuardClassifier.load(dir, onnx);
    }
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().onnx(onnx).family(GuardFamily.parse(family)).build());
  }

  private static Classifier loadProvider(String name) {
    List<String> seen = new ArrayList<>();
    for (ClassifierProvider p : ServiceLoader.load(ClassifierProvider.class, ModelRef.class.getClassLoader())) {
      if (p.name().equals(name)) {
        return p.create(Map.of());
      }
      seen.add(p.name());
    }
    throw new IllegalArgumentException("model provider:" + name + ": no ClassifierProvider of that name on the "
        + "executor's classpath (found: " + seen + "); add its jar with --jars");
  }
}
