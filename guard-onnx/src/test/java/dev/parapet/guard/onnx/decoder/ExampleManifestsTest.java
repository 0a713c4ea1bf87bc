package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** models/manifests/*.json: valid families and taxonomies, and placeholders that refuse to load. */
class ExampleManifestsTest {
  @Test
  void examples_nameKnownFamilies_andTheirPlaceholderChecksumsFailClearly() throws Exception {
    Path dir = Path.of("..", "models", "manifests");
    assumeTrue(Files.isDirectory(dir), "run from the guard-onnx module directory");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertEquals(3, files.size(), files.toString());
    for (Path f : files) {
      JsonNode json = new ObjectMapper().readTree(f.toFile());
      GuardFamily family = GuardFamily.parse(json.get("family").asText());
      if (json.has("taxonomy")) {
        assertEquals(json.get("taxonomy").asText(), Taxonomies.named(json.get("taxonomy").asText()).name());
      }
      assertTrue(json.get("export").asText().contains("--task text-generation-with-past"), f.toString());
      try (InputStream in = Files.newInputStream(f)) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelManifest.read(in, f.toString()));
        assertTrue(e.getMessage().contains("sha256 must be 64 lower-case hex digits, was 'FILL-IN"),
            family + ": " + e.getMessage());
      }
    }
  }
}
