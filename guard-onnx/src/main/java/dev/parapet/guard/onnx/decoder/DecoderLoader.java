package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Loads and validates an exported decoder folder for {@link DecoderGuardClassifier#load}: manifest and
 * checksums, model and tokenizer files, {@code config.json}, the graph's sizes against the tokenizer, the
 * family's template against the tokenizer's special tokens, and the taxonomy's answers against the vocabulary.
 * Every failure is a {@link ModelLoadException} that names the file and the fix; whatever was opened before it
 * is closed.
 */
final class DecoderLoader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DecoderLoader() {}

  static DecoderGuardClassifier load(Path dir, DecoderOptions options) {
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException(dir + ": not a directory; point at the folder of the ONNX export");
    }
    ModelManifest manifest = ModelManifest.read(dir);
    GuardFamily family;
    try {
      family = options.family().orElseGet(() -> GuardFamily.parse(manifest.family()));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(manifest.source() + ": " + e.getMessage(), e);
    }
    if (options.verifyChecksums()) {
      manifest.verify(dir);
    }
    String modelFile = manifest.modelFile();
    Path model = dir.resolve(modelFile);
    if (!Files.isRegularFile(model)) {
      throw new ModelLoadException(model + ": missing; the folder must hold the ONNX export (model.onnx, plus"
          + " model.onnx_data for models over 2 GB) from optimum-cli export onnx --task text-generation-with-past");
    }
    if (options.verifyChecksums() && !manifest.files().containsKey(modelFile)) {
      throw new ModelLoadException(manifest.source() + " does not list " + modelFile + "; re-run ManifestTool init "
          + dir + " --family " + family.id() + " after the export is complete");
    }
    Path tokenizerFile = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(tokenizerFile)) {
      throw new ModelLoadException(tokenizerFile + ": missing tokenizer; copy tokenizer.json from the export (or"
          + " from the model's Hugging Face repository) into " + dir);
    }
    JsonNode config = readConfig(dir.resolve("config.json"));
    Taxonomy taxonomy = options.taxonomy().orElseGet(() -> defaultTaxonomy(manifest, family));
    ContentTokenizer tok = ContentTokenizer.load(tokenizerFile);
    OrtSessions.Opened opened = null;
    try {
      opened = OrtSessions.open(model, options.onnx(), "decoder model");
      ModelSpec spec = ModelSpec.read(opened.session(), model.toString(), config);
      if (tok.vocabSize() > spec.vocab()) {
        throw new ModelLoadException(tokenizerFile + ": vocab size mismatch: the tokenizer has " + tok.vocabSize()
            + " token ids but " + model.getFileName() + " outputs logits for " + spec.vocab()
            + "; tokenizer.json and model.onnx come from different models");
      }
      int maxContext = Math.min(options.maxContextTokens(), spec.maxPositions());
      DecoderPrompts prompts;
      try {
        prompts = DecoderPrompts.create(family, tok, options.categoryMode(), maxContext);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException(tokenizerFile + ": " + e.getMessage() + ". Check \"family\" in "
            + ModelManifest.FILE_NAME + " (known: " + knownFamilies() + ")", e);
      }
      long maxLogitsElements = options.maxLogitsBytes() / 4;
      DecoderRuntime runtime = new DecoderRuntime(opened.session(), spec, options.prefillChunkTokens(),
          maxLogitsElements);
      ModelManifest.FileEntry entry = manifest.files().get(modelFile);
      // the manifest's content hash covers the model file (through its checksum) and every setting in the
      // manifest, so an edited manifest never reports the original's id
      String hash = entry == null || !options.verifyChecksums() ? "unverified"
          : manifest.contentSha256().substring(0, 12);
      try {
        prompts.validate(taxonomy);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException(tokenizerFile + ": cannot read " + family.id() + " answers with this"
            + " tokenizer: " + e.getMessage(), e);
      }
      return new DecoderGuardClassifier(options, opened, runtime, tok, prompts, taxonomy, hash);
    } catch (RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      tok.close();
      throw e;
    }
  }

  /** The known family ids, for messages: from the enum, so a new family never needs a message edited. */
  static String knownFamilies() {
    return Arrays.stream(GuardFamily.values()).map(GuardFamily::id).collect(Collectors.joining(", "));
  }

  /**
   * The taxonomy a model folder's manifest names ({@code "taxonomy"}: a preset such as {@code llama-guard-3} for
   * the 8B), else the family's native one.
   *
   * @throws ModelLoadException when the manifest names an unknown taxonomy
   */
  static Taxonomy defaultTaxonomy(ModelManifest manifest, GuardFamily family) {
    requireNonNull(manifest, "manifest");
    requireNonNull(family, "family");
    Optional<String> named = manifest.taxonomy();
    if (named.isEmpty()) {
      return family.nativeTaxonomy();
    }
    String name = named.get();
    if (name.equals(family.nativeTaxonomy().name())) {
      return family.nativeTaxonomy();
    }
    try {
      return Taxonomies.named(name);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(manifest.source() + ": \"taxonomy\": " + e.getMessage(), e);
    }
  }

  /** {@code config.json}, or null when the folder has none (the graph alone must then fix every size). */
  static JsonNode readConfig(Path file) {
    if (!Files.isRegularFile(file)) {
      return null; // ModelSpec says what is missing if the graph cannot fix a size
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new ModelLoadException(file + ": malformed JSON at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
