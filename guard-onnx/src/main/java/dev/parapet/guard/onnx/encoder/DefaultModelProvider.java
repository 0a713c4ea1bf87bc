package dev.parapet.guard.onnx.encoder;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierProvider;
import java.util.List;
import java.util.Map;

/**
 * The {@link ClassifierProvider} named {@code "default"}: the embedded encoder model from
 * {@code dev.parapet:guard-default-model}. It is the provider {@code Guard.builder().build()} picks when given no
 * classifier. Registered in {@code META-INF/services}. Stateless and thread-safe.
 *
 * <p>Options: {@code device} ({@code cpu}, {@code cuda}, {@code cuda:N}; default {@code cpu}) and
 * {@code threads} (intra-op threads, 1-1024; default {@code min(4, cores)}). Other keys are rejected.
 */
public final class DefaultModelProvider implements ClassifierProvider {
  /** The option keys this provider reads. */
  public static final List<String> OPTIONS = List.of("device", "threads");

  /** For {@link java.util.ServiceLoader}. */
  public DefaultModelProvider() {}

  @Override
  public String name() {
    return "default";
  }

  @Override
  public boolean isDefault() {
    return true;
  }

  @Override
  public Classifier create(Map<String, String> options) {
    return EncoderGuardClassifier.loadDefault(parse(options));
  }

  /** The ONNX options these provider options describe. */
  static OnnxOptions parse(Map<String, String> options) {
    requireNonNull(options, "options");
    OnnxOptions.Builder b = OnnxOptions.builder();
    for (Map.Entry<String, String> e : options.entrySet()) {
      String key = requireNonNull(e.getKey(), "option key");
      String value = requireNonNull(e.getValue(), "value of option " + key);
      switch (key) {
        case "device" -> b.device(Device.parse(value));
        case "threads" -> {
          int n;
          try {
            n = Integer.parseInt(value.strip());
          } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("option threads must be an integer in [1, 1024], was '" + value + "'",
                ex);
          }
          b.intraOpThreads(n);
        }
        default -> throw new IllegalArgumentException("unknown option '" + key + "' for the default classifier;"
            + " known options: " + OPTIONS);
      }
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "DefaultModelProvider[default, embedded encoder]";
  }
}
