package dev.parapet.guard.cli;

import dev.parapet.guard.onnx.decoder.Fixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import java.nio.file.Path;

/**
 * Writes the tiny Llama Guard 3 test model folder (tokenizer.json + parapet-model.json) to the directory named by
 * the first argument: the {@code --model DIR} of {@code serve --remote} in scripts/load.sh's fault phase, where the
 * fake vLLM server ({@code FakeVllmServer.main}) plays the remote model. Not a unit test.
 */
public final class WriteFixtureModel {
  private WriteFixtureModel() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: WriteFixtureModel DIR");
      System.exit(2);
    }
    System.out.println(Fixtures.model(Path.of(args[0]), GuardFamily.LLAMA_GUARD_3));
  }
}
