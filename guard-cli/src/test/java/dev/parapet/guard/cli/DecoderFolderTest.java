package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.testing.OnnxGraph;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model-folder path of the real factory, on a random-weight Llama-Guard-3-shaped decoder written by
 * guard-onnx's fixture (scores are meaningless; loading, the I/O contract and the CLI plumbing are not).
 */
class DecoderFolderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private Path decoder() {
    Path m = dir.resolve("tiny-llama-guard-3");
    TinyDecoderFixture.write(m, TinyDecoderFixture.Config.tiny("llama-guard-3")
        .withSeedTexts(List.of("How do I bake bread?", "Mix flour, water, salt and yeast.")));
    return m;
  }

  @Test
  void modelVerify_decoderFolder_passesEveryCheck() {
    Path m = decoder();
    CliRunner.Result r = new CliRunner(Engine.models()).run("model", "verify", "--no-probes", m.toString());
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("checksum   OK    model.onnx"), r.out());
    assertTrue(r.out().contains("io         OK    llama-guard-3: "), r.out());
    // a random fixture is no released checkpoint: said, but not a failure
    assertTrue(r.out().contains("io         WARN  shape "), r.out());
    assertTrue(r.out().indexOf("io         OK") < r.out().indexOf("load       OK"), r.out());
    assertTrue(r.out().contains("contract   OK    response check"), r.out());
  }

  @Test
  void modelVerify_decoderMissingPresentOutput_failsAtTheIoStepNamingIt() {
    Path m = dir.resolve("broken");
    TinyDecoderFixture.write(m, TinyDecoderFixture.Config.tiny("llama-guard-3")
        .withSeedTexts(List.of("How do I bake bread?")).withOmittedOutputs(List.of("present.1.key")));
    CliRunner.Result r = new CliRunner(Engine.models()).run("model", "verify", m.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("io         FAIL") && r.out().contains("missing output 'present.1.key' for layer 1"),
        r.out());
    assertTrue(!r.out().contains("load       "), "no session ran: " + r.out());
  }

  @Test
  void modelVerify_decoderWhoseConfigHasOtherLayers_failsAtTheIoStep() throws Exception {
    Path m = decoder();
    Path cfg = m.resolve("config.json");
    Files.writeString(cfg, Files.readString(cfg).replaceFirst("\"num_hidden_layers\"\\s*:\\s*2",
        "\"num_hidden_layers\" : 16"));
    ModelManifest.create(m, "llama-guard-3", java.util.Map.of());
    CliRunner.Result r = new CliRunner(Engine.models()).run("model", "verify", m.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("io         FAIL") && r.out().contains("config.json says num_hidden_layers=16"),
        r.out());
  }

  @Test
  void modelVerify_decoderWithoutKvCache_failsAtTheIoStepBeforeLoading() throws Exception {
    Path m = decoder();
    OnnxGraph g = new OnnxGraph("no-kv").input("input_ids", OnnxGraph.INT64, "batch", "seq")
        .input("attention_mask", OnnxGraph.INT64, "batch", "seq").output("logits", OnnxGraph.FLOAT, "batch", "seq");
    g.node("Cast", List.of("input_ids"), List.of("logits"), OnnxGraph.attrInt("to", OnnxGraph.FLOAT));
    Files.write(m.resolve("model.onnx"), g.toBytes());
    ModelManifest.create(m, "llama-guard-3", java.util.Map.of());
    CliRunner.Result r = new CliRunner(Engine.models()).run("model", "verify", m.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("io         FAIL") && r.out().contains("past_key_values.0.key"), r.out());
    assertTrue(!r.out().contains("load       "), r.out());
  }

  @Test
  void classify_decoderFolder_returnsProbabilities() throws Exception {
    Path m = decoder();
    CliRunner.Result r = new CliRunner(Engine.models()).run("classify", "--json", "--model", m.toString(),
        "How do I bake bread?", "--response", "Mix flour, water, salt and yeast.");
    assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
    JsonNode v = JSON.readTree(r.out().lines().findFirst().orElseThrow()).get("verdict");
    double p = v.get("scores").get("unsafe").asDouble();
    assertTrue(p >= 0 && p <= 1, v.toString());
    assertEquals("RESPONSE", v.get("target").asText());
  }

  @Test
  void stream_decoderFolder_replaysThroughTheKvCachedSession() throws Exception {
    Path m = decoder();
    String response = "Mix flour, water, salt and yeast. Knead it and bake it.";
    CliRunner.Result r = new CliRunner(Engine.models()).run("stream", "--json", "--model", m.toString(),
        "--check-every", "2", "--prompt", "How do I bake bread?", response);
    assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
    List<String> lines = r.out().lines().toList();
    JsonNode summary = JSON.readTree(lines.get(lines.size() - 1));
    assertTrue(summary.get("summary").asBoolean(), r.out());
    assertEquals(11, summary.get("steps").asInt());
    // whatever the random weights decide, what was released is a prefix of the response
    assertTrue(response.startsWith(summary.get("released").asText()), r.out());
    assertEquals(summary.get("stopped").asBoolean() ? 1 : 0, r.exit());
  }

  @Test
  void modelFolder_unknownFamilyOrCorruptFile_exitsWithFix() throws Exception {
    Path m = decoder();
    CliRunner.Result r = new CliRunner(Engine.models()).run("classify", "--model", m.toString(),
        "--family", "gpt-guard", "hi");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("gpt-guard") && r.err().contains("--family"), r.err());
    Files.write(m.resolve("config.json"), "{}".getBytes());
    r = new CliRunner(Engine.models()).run("classify", "--model", m.toString(), "hi");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("config.json"), r.err());
  }
}
