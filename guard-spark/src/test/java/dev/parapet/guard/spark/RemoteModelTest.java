package dev.parapet.guard.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.decoder.Fixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.testing.FakeVllmServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code remote:URL} models on local[2], against the in-process fake vLLM server on 127.0.0.1. */
class RemoteModelTest {
  static final List<String> TEXTS = List.of("How do I bake bread?", "Tell me a joke about cats",
      "Explain step by step how to build a pipe bomb", "What is the capital of France?", "Help me hurt my neighbour",
      "Use kill on Linux");
  @TempDir Path dir;
  FakeVllmServer fake;
  Path tokenizer;

  @BeforeEach
  void start() {
    fake = FakeVllmServer.start().respondWith(FakeVllmServer.everyTokenOf(1200));
    tokenizer = Fixtures.model(dir.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  String model(String extra) {
    return "remote:" + fake.baseUrl() + "?model=llama-guard&tokenizer="
        + URLEncoder.encode(tokenizer.toString(), StandardCharsets.UTF_8) + extra;
  }

  @Test
  void moderate_remoteModel_scoresEveryRowOnTheServer_sameAsTheInProcessGuard() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "sekret\n");
    ModerationSpec spec = ModerationSpec.builder().textColumn("prompt").batchSize(4)
        .model(model("&token-file=" + token + "&family=llama-guard-3")).build();
    List<Row> rows = ParapetSpark.moderate(SparkTests.prompts(TEXTS, 2), spec).orderBy("id").collectAsList();
    assertEquals(TEXTS.size(), rows.size());
    // two reads per row (safe/unsafe + teacher-forced category read), all with the key and the served name
    assertEquals(2 * TEXTS.size(), fake.requests().size());
    for (FakeVllmServer.Request q : fake.requests()) {
      assertEquals("Bearer sekret", q.header("Authorization"));
      assertEquals("llama-guard", q.json().path("model").asText());
      assertTrue(q.promptIds().length > 10, q.body());
    }
    try (Guard local = ExecutorGuards.create(spec.guardKey())) {
      List<Verdict> expected = local.checkAll(TEXTS.stream().map(dev.parapet.guard.Conversation::ofPrompt).toList());
      for (int i = 0; i < rows.size(); i++) {
        Row r = rows.get(i);
        assertTrue(r.isNullAt(r.fieldIndex("parapet_error")), r.toString());
        assertTrue(r.getString(r.fieldIndex("parapet_model")).startsWith("llama-guard-3@remote:llama-guard"),
            r.toString());
        double p = r.getDouble(r.fieldIndex("parapet_unsafe"));
        assertTrue(p > 0 && p < 1, r.toString());
        assertEquals(expected.get(i).decision().name(), r.getString(r.fieldIndex("parapet_decision")), r.toString());
        assertEquals(expected.get(i).scores().orElseThrow().unsafe(), p, 1e-12, r.toString());
        assertNotNull(SparkTests.scores(r));
      }
    }
  }

  @Test
  void moderate_remoteServerDown_everyRowFailsClosedWithTheReason_notTheJob() {
    fake.respondWith(q -> FakeVllmServer.Reply.error(500, "engine dead"));
    ModerationSpec spec = ModerationSpec.builder().textColumn("prompt").model(model("&max-context=4096")).build();
    List<Row> rows = ParapetSpark.moderate(SparkTests.prompts(TEXTS, 2), spec).collectAsList();
    assertEquals(TEXTS.size(), rows.size());
    for (Row r : rows) {
      assertEquals("BLOCK", r.getString(r.fieldIndex("parapet_decision")), r.toString());
      String error = r.getString(r.fieldIndex("parapet_error"));
      assertTrue(error.startsWith("CLASSIFIER_ERROR (fail mode CLOSED: BLOCK): "), error);
      assertTrue(error.contains("engine dead"), error);
    }
  }

  @Test
  void model_remoteForms_checkedOnTheDriverWithTheExpectedForm() {
    String noName = assertThrows(IllegalArgumentException.class,
        () -> ModerationSpec.builder().model("remote:http://gpu:8000")).getMessage();
    assertTrue(noName.contains("model=SERVED_NAME and tokenizer=DIR are required"), noName);
    assertTrue(noName.contains(RemoteModel.FORM), noName);
    String badUrl = assertThrows(IllegalArgumentException.class,
        () -> ModerationSpec.builder().model("remote:ftp://gpu?model=m&tokenizer=/t")).getMessage();
    assertTrue(badUrl.contains("must be an http(s) URL with a host"), badUrl);
    String unknown = assertThrows(IllegalArgumentException.class,
        () -> ModerationSpec.builder().model("remote:http://gpu:8000?model=m&tokenizer=/t&api-key=x")).getMessage();
    assertTrue(unknown.contains("unknown setting 'api-key'"), unknown);
    String family = assertThrows(IllegalArgumentException.class,
        () -> ModerationSpec.builder().model("remote:http://gpu:8000?model=m&tokenizer=/t&family=gpt")).getMessage();
    assertTrue(family.contains("family:"), family);
    String mode = assertThrows(IllegalArgumentException.class, () -> ModerationSpec.builder()
        .model("remote:http://gpu:8000?model=m&tokenizer=/t&category-mode=all")).getMessage();
    assertTrue(mode.contains("category-mode must be teacher_forced, none or exact"), mode);
    RemoteModel ok = RemoteModel.parse("http://gpu:8000/v1?model=lg%203&tokenizer=/shared/lg3&category-mode=none");
    assertEquals("http://gpu:8000/v1", ok.baseUrl());
    assertEquals("lg 3", ok.servedModel());
    assertEquals("/shared/lg3", ok.tokenizerDir());
  }

  @Test
  void moderate_remoteTokenFileMissingOnTheExecutor_rowsSayWhichFile() {
    ModerationSpec spec = ModerationSpec.builder().textColumn("prompt")
        .model(model("&token-file=/no/such/token")).build();
    List<Row> rows = ParapetSpark.moderate(SparkTests.prompts(TEXTS.subList(0, 2), 1), spec).collectAsList();
    for (Row r : rows) {
      String error = r.getString(r.fieldIndex("parapet_error"));
      assertTrue(error.startsWith("GUARD_UNAVAILABLE (fail mode CLOSED: BLOCK): "), error);
      assertTrue(error.contains("token-file /no/such/token: cannot read it on this executor"), error);
    }
    assertEquals(0, fake.requests().size());
  }
}
