package dev.parapet.guard.cli;

import dev.parapet.guard.onnx.Device;
import picocli.CommandLine.Option;

/** {@code --device}, shared by every command that loads a local model (a picocli mixin). */
final class DeviceOption {
  @Option(names = "--device", paramLabel = "cpu|cuda", defaultValue = "cpu",
      description = "Where to run the model; cuda falls back to cpu with a warning. Default: ${DEFAULT-VALUE}.")
  String device;

  /** The device, or an error naming the flag and the values it takes. */
  Device device() {
    try {
      return Device.parse(device);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--device must be cpu or cuda (or cuda:N), was '" + device + "'", e);
    }
  }
}
