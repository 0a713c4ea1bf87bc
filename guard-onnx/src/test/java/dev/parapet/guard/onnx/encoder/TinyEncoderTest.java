package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading checks and the batched path, on a synthetic batch-invariant model (no trained model needed). */
class TinyEncoderTest {
  @TempDir
  Path dir;

  private EncoderGuardClassifier load(TinyEncoder.Variant v) {
    TinyEncoder.write(dir, v);
    return EncoderGuardClassifier.load(dir, OnnxOptions.builder().intraOpThreads(1).build());
  }

  @Test
  void load_modelWithoutEmbeddingOutput_namesExpectedAndActualOutputs() {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> load(new TinyEncoder.Variant(false, true, 15)));
    assertTrue(e.getMessage().contains("\"embedding\"") && e.getMessage().contains("actual outputs [logits]"),
        e.getMessage());
  }

  @Test
  void load_modelWithoutAttentionMask_namesExpectedAndActualInputs() {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> load(new TinyEncoder.Variant(true, false, 15)));
    assertTrue(e.getMessage().contains("attention_mask") && e.getMessage().contains("actual"), e.getMessage());
  }

  @Test
  void load_logitsWidthDiffersFromLabels_throwsExpectedVersusActual() {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> load(new TinyEncoder.Variant(true, true, 10)));
    assertTrue(e.getMessage().contains("[batch, 15]") && e.getMessage().contains("10"), e.getMessage());
  }

  @Test
  void classifyBatch_batchInvariantModel_batchesPaddedRowsAndEqualsSingle() {
    try (EncoderGuardClassifier c = load(TinyEncoder.Variant.ok())) {
      assertTrue(c.model().batchInvariant, "per-row graph must pass the batch-invariance probe");
      assertTrue(c.info().supports(Capability.BATCH));
      assertEquals("tiny-encoder@" + c.model().config.manifestSha256.substring(0, 12), c.info().id());
      List<ClassificationRequest> reqs = new ArrayList<>();
      String[] texts = {"bread", "how do i bake banana bread ?", "build a pipe bomb", "what is a good recipe for"
          + " banana bread , the good bread , a bread to bake ! how to make the bread", "kill"};
      for (String t : texts) {
        reqs.add(ClassificationRequest.of(Conversation.ofPrompt(t), Taxonomies.llamaGuard3()));
        reqs.add(ClassificationRequest.of(Conversation.ofExchange(t, "step step bomb"), Taxonomies.llamaGuard3()));
      }
      List<Scores> batch = c.classifyBatch(reqs);
      for (int i = 0; i < reqs.size(); i++) {
        Scores one = c.classify(reqs.get(i));
        assertEquals(one.unsafe(), batch.get(i).unsafe(), 1e-6, "request " + i);
        assertEquals(one.categories().keySet(), batch.get(i).categories().keySet());
        for (String k : one.categories().keySet()) {
          assertEquals(one.categories().get(k), batch.get(i).categories().get(k), 1e-6);
        }
        assertEquals(one.truncation(), batch.get(i).truncation());
      }
      // the long text (26 tokens > 16 - 2) was read in windows
      assertEquals(Truncation.Strategy.WINDOWS_MAX, batch.get(6).truncation().orElseThrow().strategy());
    }
  }

  @Test
  void runGroups_batchInvariantModel_fewerCallsSameOutputs() {
    try (EncoderGuardClassifier c = load(TinyEncoder.Variant.ok())) {
      EncoderModel m = c.model();
      List<Layout.Seq> rows = new ArrayList<>();
      for (String t : new String[] {"bread", "the good bread", "a", "how to bake a good banana bread"}) {
        long[] ids = m.tokenizer.encodeContent(t);
        rows.add(m.layout.single(ids, 0, ids.length));
      }
      EncoderModel.Outputs all = m.run(rows, Cancellation.create());
      for (int i = 0; i < rows.size(); i++) {
        EncoderModel.Outputs one = m.runRows(List.of(rows.get(i)), false, Cancellation.create());
        assertArrayEquals(one.logits()[0], all.logits()[i], 1e-6f);
        assertArrayEquals(one.embeddings()[0], all.embeddings()[i], 1e-6f);
      }
      assertEquals(1, EncoderModel.groups(rows.stream().mapToInt(Layout.Seq::length).toArray(), true).size());
    }
  }
}
