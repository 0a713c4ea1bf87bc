package dev.parapet.guard.spring.boot;

import dev.parapet.guard.Guard;
import dev.parapet.guard.event.GuardListener;
import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.decoder.DecoderGuardClassifier;
import dev.parapet.guard.onnx.decoder.DecoderOptions;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.policy.PolicySpec;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.stream.StreamOptions;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Turns {@link ParapetProperties} into a classifier and a Guard; errors name the property to fix. */
final class GuardFactory {
  static final String ENCODER_FAMILY = "parapet-encoder";

  private GuardFactory() {}

  static Classifier classifier(ParapetProperties.Model model) {
    OnnxOptions onnx;
    try {
      onnx = OnnxOptions.builder().device(Device.parse(model.getDevice())).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("parapet.model.device: " + e.getMessage(), e);
    }
    Path dir = model.getPath();
    if (dir == null) {
      return EncoderGuardClassifier.loadDefault(onnx);
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("parapet.model.path=" + dir + " is not a directory: point it at a model "
          + "export folder (model.onnx, tokenizer.json, " + ModelManifest.FILE_NAME + "), or remove it to use the "
          + "embedded default model");
    }
    String family = ModelManifest.read(dir).family();
    if (family.equals(ENCODER_FAMILY)) {
      return EncoderGuardClassifier.load(dir, onnx);
    }
    GuardFamily decoder;
    try {
      decoder = GuardFamily.parse(family);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("parapet.model.path=" + dir + ": " + e.getMessage() + " (or "
          + ENCODER_FAMILY + "); set the family in " + ModelManifest.FILE_NAME, e);
    }
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().onnx(onnx).family(decoder).build());
  }

  static Guard guard(ParapetProperties p, Classifier classifier, List<GuardListener> listeners) {
    // the classifier is a bean of its own: Spring closes it, so the guard does not own it
    Guard.Builder b = Guard.builder().borrowedClassifier(classifier);
    if (p.getTaxonomy() != null && !p.getTaxonomy().isBlank()) {
      b.taxonomy(taxonomy(p.getTaxonomy().strip()));
    }
    b.policy(policy(p));
    long cache = p.getCache().getMaxSize();
    if (cache < 0) {
      throw new IllegalArgumentException("parapet.cache.max-size must be >= 0 (0 turns the cache off), was " + cache);
    }
    if (cache == 0) {
      b.noCache();
    } else {
      b.cache(cache);
    }
    try {
      b.streamOptions(StreamOptions.builder().checkEveryTokens(p.getStream().getCheckEvery())
          .holdBackTokens(p.getStream().getHoldBack()).build());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("parapet.stream.check-every / parapet.stream.hold-back: " + e.getMessage(),
          e);
    }
    listeners.forEach(b::listener);
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("parapet.policy / parapet.taxonomy: " + e.getMessage(), e);
    }
  }

  private static Policy policy(ParapetProperties p) {
    Policy policy;
    if (p.getPolicy() == null || p.getPolicy().isBlank()) {
      policy = Policy.defaults();
    } else {
      try {
        policy = PolicySpec.parse(p.getPolicy());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("parapet.policy: " + e.getMessage(), e);
      }
    }
    return p.getFailMode() == null ? policy : policy.toBuilder().failureMode(p.getFailMode()).build();
  }

  private static Taxonomy taxonomy(String value) {
    try {
      return Taxonomies.named(value);
    } catch (IllegalArgumentException notAPreset) {
      Path file = Path.of(value);
      if (Files.isRegularFile(file)) {
        return Taxonomy.fromJson(file);
      }
      throw new IllegalArgumentException("parapet.taxonomy=" + value + ": " + notAPreset.getMessage()
          + ", or the path of an existing taxonomy JSON file", notAPreset);
    }
  }
}
