package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link ClassifierProvider}s for exported decoder guards, one per {@link GuardFamily}, named by the family's id
 * (the {@code family} of {@code parapet-model.json}), so that {@link dev.parapet.guard.onnx.ModelFolders#load}
 * picks the backend from the manifest. Registered in {@code META-INF/services}. Stateless and thread-safe.
 *
 * <p>Options: {@code model} (the export folder; required), {@code device} ({@code cpu}, {@code cuda},
 * {@code cuda:N}), {@code threads} (intra-op threads) and {@code category-mode} ({@code none},
 * {@code teacher-forced}, {@code exact}). Other keys are rejected with the list of known ones.
 */
public abstract class DecoderModelProvider implements ClassifierProvider {
  /** The option keys these providers read. */
  public static final List<String> OPTIONS = List.of("model", "device", "threads", "category-mode");

  private final GuardFamily family;

  DecoderModelProvider(GuardFamily family) {
    this.family = family;
  }

  /** The family whose prompt format the created classifiers render. */
  public GuardFamily family() {
    return family;
  }

  @Override
  public String name() {
    return family.id();
  }

  @Override
  public Classifier create(Map<String, String> options) {
    requireNonNull(options, "options");
    String model = options.get("model");
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("option model (the export folder) is required for the " + family.id()
          + " provider; known options: " + OPTIONS);
    }
    return DecoderGuardClassifier.load(Path.of(model), parse(options).family(family).build());
  }

  /** Decoder options from provider options ({@code model} is read by the caller). */
  static DecoderOptions.Builder parse(Map<String, String> options) {
    DecoderOptions.Builder b = DecoderOptions.builder();
    OnnxOptions.Builder onnx = OnnxOptions.builder();
    for (Map.Entry<String, String> e : options.entrySet()) {
      String key = requireNonNull(e.getKey(), "option key");
      String value = requireNonNull(e.getValue(), "value of option " + key).strip();
      switch (key) {
        case "model" -> { }
        case "device" -> onnx.device(Device.parse(value));
        case "threads" -> {
          try {
            onnx.intraOpThreads(Integer.parseInt(value));
          } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("option threads must be an integer in [1, 1024], was '" + value
                + "'", ex);
          }
        }
        case "category-mode" -> {
          try {
            b.categoryMode(CategoryMode.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_')));
          } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("option category-mode must be none, teacher-forced or exact, was '"
                + value + "'", ex);
          }
        }
        default -> throw new IllegalArgumentException("unknown option '" + key + "' for a decoder guard; known"
            + " options: " + OPTIONS);
      }
    }
    return b.onnx(onnx.build());
  }

  @Override
  public String toString() {
    return "DecoderModelProvider[" + family.id() + "]";
  }

  /** Llama Guard 3 (1B / 8B). */
  public static final class LlamaGuard3 extends DecoderModelProvider {
    /** For {@link java.util.ServiceLoader}. */
    public LlamaGuard3() {
      super(GuardFamily.LLAMA_GUARD_3);
    }
  }

  /** Llama Guard 4. */
  public static final class LlamaGuard4 extends DecoderModelProvider {
    /** For {@link java.util.ServiceLoader}. */
    public LlamaGuard4() {
      super(GuardFamily.LLAMA_GUARD_4);
    }
  }

  /** Qwen3Guard-Gen. */
  public static final class Qwen3GuardGen extends DecoderModelProvider {
    /** For {@link java.util.ServiceLoader}. */
    public Qwen3GuardGen() {
      super(GuardFamily.QWEN3GUARD_GEN);
    }
  }

  /** ShieldGemma (v1). */
  public static final class ShieldGemma extends DecoderModelProvider {
    /** For {@link java.util.ServiceLoader}. */
    public ShieldGemma() {
      super(GuardFamily.SHIELDGEMMA);
    }
  }
}
