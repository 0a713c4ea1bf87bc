package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderModelLoadTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void load_verifiedCopy_scoresLikeTheClasspathModel() {
    SharedModel.copyTo(dir);
    ClassificationRequest r = ClassificationRequest.of(Conversation.ofPrompt("hello there"),
        Taxonomies.llamaGuard3());
    try (EncoderGuardClassifier c = EncoderGuardClassifier.load(dir, OnnxOptions.defaults())) {
      assertEquals(SharedModel.get().info().id(), c.info().id());
      assertEquals(SharedModel.get().classify(r), c.classify(r));
    }
  }

  @Test
  void load_corruptModelBytes_throwsChecksumMismatch() throws IOException {
    SharedModel.copyTo(dir);
    Path model = dir.resolve("model.onnx");
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(model, bytes);
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("model.onnx") && e.getMessage().contains("sha256 mismatch"), e.getMessage());
  }

  @Test
  void load_missingTokenizer_throwsNamingTheFile() throws IOException {
    SharedModel.copyTo(dir);
    Files.delete(dir.resolve("tokenizer.json"));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void load_missingManifest_throwsWithFix() {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("parapet-model.json"), e.getMessage());
  }

  @Test
  void load_decoderFamily_throwsNamingTheFamily() throws IOException {
    SharedModel.copyTo(dir);
    editManifest(m -> m.put("family", "llama-guard-3"));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("llama-guard-3") && e.getMessage().contains("parapet-encoder"),
        e.getMessage());
  }

  @Test
  void load_labelsNotInTaxonomy_throwsNamingTheLabel() throws IOException {
    SharedModel.copyTo(dir);
    editManifest(m -> ((ArrayNode) m.get("labels")).set(3, "S99"));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("S99") && e.getMessage().contains("taxonomy"), e.getMessage());
  }

  @Test
  void load_labelCountDiffersFromLogits_throwsExpectedVersusActual() throws IOException {
    SharedModel.copyTo(dir);
    editManifest(m -> ((ArrayNode) m.get("labels")).remove(14));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("logits") && e.getMessage().contains("14"), e.getMessage());
  }

  @Test
  void load_manifestNotListingModel_throws() throws IOException {
    SharedModel.copyTo(dir);
    editManifest(m -> ((ObjectNode) m.get("files")).remove("model.onnx"));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("model.onnx"), e.getMessage());
  }

  @Test
  void close_twice_isIdempotentAndLaterCallsThrowIllegalState() {
    EncoderGuardClassifier c = SharedModel.load();
    c.close();
    c.close();
    ClassificationRequest r = ClassificationRequest.of(Conversation.ofPrompt("hi"), Taxonomies.llamaGuard3());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.classify(r));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, c::incremental);
  }

  private void editManifest(java.util.function.Consumer<ObjectNode> edit) throws IOException {
    Path p = dir.resolve("parapet-model.json");
    ObjectNode m = (ObjectNode) JSON.readTree(p.toFile());
    edit.accept(m);
    Files.write(p, JSON.writeValueAsBytes(m));
    // re-seal, so that the content checks under test are reached (an unsealed edit is refused before them)
    dev.parapet.guard.onnx.ModelManifest.seal(dir);
  }
}
