package dev.parapet.guard.onnx.testing;

import dev.parapet.guard.onnx.decoder.Fixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import java.nio.file.Path;

/**
 * The tiny decoder model folders of {@link Fixtures}, for the tests of modules that have a module-info
 * (guard-remote): their tests compile patched into their module, where a test-jar class in
 * {@code onnx.decoder} (a package of the named guard-onnx module) cannot be seen, but one in this package
 * (which guard-onnx's main code does not have) can.
 */
public final class DecoderFixtures {
  private DecoderFixtures() {}

  /** See {@link Fixtures#model(Path, GuardFamily)}. */
  public static Path model(Path dir, GuardFamily family) {
    return Fixtures.model(dir, family);
  }
}
