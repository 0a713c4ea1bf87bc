package dev.parapet.guard.onnx;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * Where an ONNX model runs. Immutable and thread-safe.
 *
 * <p>A CUDA device is a request, not a promise: when the CUDA execution provider cannot be loaded (the CPU
 * {@code onnxruntime} jar is on the classpath, or CUDA 12 / cuDNN 9 libraries are missing) the session falls
 * back to the CPU, logs why, and the classifier reports {@code "cpu"} as its device.
 *
 * @param kind CPU or CUDA
 * @param id the device ordinal; always 0 for the CPU
 */
public record Device(Kind kind, int id) {

  /** The kinds of device ONNX Runtime can be asked for. */
  public enum Kind {
    CPU,
    CUDA
  }

  public Device {
    requireNonNull(kind, "kind");
    if (id < 0) {
      throw new IllegalArgumentException("device id must be >= 0, was " + id);
    }
    if (kind == Kind.CPU && id != 0) {
      throw new IllegalArgumentException("the cpu device has id 0, was " + id);
    }
  }

  public static Device cpu() {
    return new Device(Kind.CPU, 0);
  }

  public static Device cuda(int id) {
    return new Device(Kind.CUDA, id);
  }

  /**
   * Parses {@code "cpu"}, {@code "cuda"} (device 0) or {@code "cuda:N"}; case-insensitive, surrounding
   * whitespace ignored. Round-trips {@link #toString()}.
   */
  public static Device parse(String spec) {
    requireNonNull(spec, "spec");
    String s = spec.strip().toLowerCase(Locale.ROOT);
    if (s.equals("cpu")) {
      return cpu();
    }
    if (s.equals("cuda")) {
      return cuda(0);
    }
    if (s.startsWith("cuda:")) {
      String n = s.substring(5);
      try {
        int id = Integer.parseInt(n);
        if (id >= 0) {
          return cuda(id);
        }
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException(
        "unknown device '" + spec + "': expected one of cpu, cuda, cuda:N (N >= 0)");
  }

  public boolean isCuda() {
    return kind == Kind.CUDA;
  }

  /** {@code "cpu"} or {@code "cuda:N"}. */
  @Override
  public String toString() {
    return kind == Kind.CPU ? "cpu" : "cuda:" + id;
  }
}
