package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.testing.ClassifierContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The guard-core SPI contract, on the tiny Llama Guard 3 fixture (teacher-forced categories). */
class DecoderClassifierContractTest extends ClassifierContractTest {
  @TempDir static Path tmp; // removed after the class
  private Path dir;

  /** Writes the family's tiny fixture model into {@code root/name} (the caller's class-level @TempDir). */
  static Path fixture(Path root, String name, GuardFamily family) {
    try {
      return Fixtures.model(Files.createDirectories(root.resolve(name)), family);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected Classifier createClassifier() {
    if (dir == null) {
      dir = fixture(tmp, "lg3", GuardFamily.LLAMA_GUARD_3);
    }
    // a small context so that the 50k-character input exercises truncation quickly
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().maxContextTokens(1024)
        .onnx(OnnxOptions.builder().intraOpThreads(1).build()).build());
  }
}

/** The same contract for the per-policy family (ShieldGemma: batched forks over the conversation's KV). */
class ShieldGemmaClassifierContractTest extends ClassifierContractTest {
  @TempDir static Path tmp; // removed after the class
  private Path dir;

  @Override
  protected Classifier createClassifier() {
    if (dir == null) {
      dir = DecoderClassifierContractTest.fixture(tmp, "sg", GuardFamily.SHIELDGEMMA);
    }
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().maxContextTokens(1024).build());
  }
}

/** The three-level family (Qwen3Guard: Safe/Unsafe/Controversial, multi-token category names). */
class Qwen3GuardClassifierContractTest extends ClassifierContractTest {
  @TempDir static Path tmp; // removed after the class
  private Path dir;

  @Override
  protected Classifier createClassifier() {
    if (dir == null) {
      dir = DecoderClassifierContractTest.fixture(tmp, "qwen", GuardFamily.QWEN3GUARD_GEN);
    }
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().maxContextTokens(1024).build());
  }
}

/** Exact mode (one prompt per category, batched) on a 3-category taxonomy to keep it quick; no streaming. */
class LlamaGuardExactContractTest extends ClassifierContractTest {
  @TempDir static Path tmp; // removed after the class
  private Path dir;

  @Override
  protected Classifier createClassifier() {
    if (dir == null) {
      dir = DecoderClassifierContractTest.fixture(tmp, "exact", GuardFamily.LLAMA_GUARD_3);
    }
    dev.parapet.guard.taxonomy.Taxonomy three = dev.parapet.guard.taxonomy.Taxonomy.of("lg3-three",
        GuardFamily.LLAMA_GUARD_3.nativeTaxonomy().categories().subList(0, 3));
    return DecoderGuardClassifier.load(dir, DecoderOptions.builder().maxContextTokens(1024).taxonomy(three)
        .categoryMode(CategoryMode.EXACT).build());
  }
}
