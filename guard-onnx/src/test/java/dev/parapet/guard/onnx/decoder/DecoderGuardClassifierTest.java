package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.spi.Truncation;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.Turn;
import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Cancellation;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderGuardClassifierTest {
  static final double TOL = 1e-5;
  @TempDir static Path root;
  static Path lg3;
  static DecoderGuardClassifier guard;

  @BeforeAll
  static void load() {
    lg3 = Fixtures.model(root.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
    guard = DecoderGuardClassifier.load(lg3, DecoderOptions.builder()
        .onnx(OnnxOptions.builder().intraOpThreads(1).build()).prefillChunkTokens(64).build());
  }

  @AfterAll
  static void close() {
    guard.close();
  }

  static ClassificationRequest req(Conversation c) {
    return ClassificationRequest.of(c, guard.info().taxonomy());
  }

  /** Logits after {@code ids} computed in one pass from an empty cache (no prefix cache, no fork). */
  static float[] direct(long[] ids) {
    DecoderRuntime rt = guard.runner().runtime();
    try (KvCache empty = KvCache.empty(rt.spec(), 1)) {
      return rt.logits(empty, new long[][] {ids}, new int[][] {{ids.length - 1}}, Cancellation.create(), "t")[0][0];
    }
  }

  static long id(String token) {
    return guard.preparer().encoder().tokenizer().tokenId(token).getAsLong();
  }

  @Test
  void load_readsSpecAndReportsInfo() {
    assertEquals("cpu", guard.info().device());
    assertEquals(Device.cpu(), guard.device());
    assertEquals(GuardFamily.LLAMA_GUARD_3, guard.family());
    assertEquals(Taxonomies.llamaGuard3OneB(), guard.info().taxonomy());
    assertTrue(guard.info().id().startsWith("llama-guard-3@"), guard.info().id());
    assertTrue(guard.info().supports(Capability.CATEGORY_SCORES));
    assertTrue(guard.info().supports(Capability.INCREMENTAL));
    assertEquals(2, guard.runner().runtime().spec().layers());
    assertEquals(2, guard.runner().runtime().spec().kvHeads());
    assertEquals(8, guard.runner().runtime().spec().headDim());
    assertEquals(1200, guard.runner().runtime().spec().vocab());
  }

  @Test
  void load_cudaRequestedOnCpuOnlyRuntime_fallsBackAndReportsCpu() {
    try (DecoderGuardClassifier c = DecoderGuardClassifier.load(lg3, DecoderOptions.builder()
        .onnx(OnnxOptions.builder().device(Device.cuda(0)).build()).build())) {
      assertEquals("cpu", c.info().device());
      Scores s = c.classify(req(Conversation.ofPrompt("hello")));
      assertEquals(guard.classify(req(Conversation.ofPrompt("hello"))).unsafe(), s.unsafe(), TOL);
    }
  }

  @Test
  void unsafe_isReadAfterTheDoubleNewlineTheModelWritesFirst() {
    ClassificationRequest r = req(Conversation.ofPrompt("How do I make a cake?"));
    PromptPreparer.Prepared p = guard.preparer().prepare(r, CategoryMode.TEACHER_FORCED);
    long[] upToHeader = PromptEncoder.concat(p.plan().prefix(), p.head(), p.judged(), p.plan().suffixes().get(0));
    // the template ends at the assistant header
    assertEquals(id("<|end_header_id|>"), upToHeader[upToHeader.length - 1]);
    long nn = id("\n\n");
    float[] afterNewlines = direct(PromptEncoder.concat(upToHeader, new long[] {nn}));
    double expected = DecisionScorer.softmax(afterNewlines, new long[] {id("safe"), id("unsafe")})[1];
    Scores s = guard.classify(r);
    assertEquals(expected, s.unsafe(), TOL);
    // reading straight after the header (the model's "\n\n" position) gives a different number
    float[] atHeader = direct(upToHeader);
    double wrong = DecisionScorer.softmax(atHeader, new long[] {id("safe"), id("unsafe")})[1];
    assertNotEquals(wrong, s.unsafe(), 1e-3);
  }

  @Test
  void categories_teacherForced_areUnsafeTimesCategoryDistributionAfterUnsafeNewlineS() {
    ClassificationRequest r = req(Conversation.ofExchange("hi", "Sure, first wait until they sleep."));
    PromptPreparer.Prepared p = guard.preparer().prepare(r, CategoryMode.TEACHER_FORCED);
    long[] forced = PromptEncoder.concat(p.plan().prefix(), p.head(), p.judged(), p.plan().suffixes().get(0),
        new long[] {id("\n\n"), id("unsafe"), id("\n"), id("S")});
    float[] logits = direct(forced);
    long[] numbers = new long[13];
    for (int i = 0; i < 13; i++) {
      numbers[i] = id(Integer.toString(i + 1));
    }
    double[] cond = DecisionScorer.softmax(logits, numbers);
    Scores s = guard.classify(r);
    double sum = 0;
    for (int i = 0; i < 13; i++) {
      assertEquals(s.unsafe() * cond[i], s.categories().get("S" + (i + 1)), TOL, "S" + (i + 1));
      sum += s.categories().get("S" + (i + 1));
    }
    assertEquals(s.unsafe(), sum, 1e-9);
    assertEquals(Taxonomies.llamaGuard3OneB().codes(), List.copyOf(s.categories().keySet()));
  }

  @Test
  void prefixCache_resultEqualsUncachedOnePassResult_andHits() {
    ClassificationRequest r = req(Conversation.ofPrompt("Tell me a story about a dog."));
    long misses = guard.runner().prefixCacheMisses();
    Scores first = guard.classify(r);
    long hits = guard.runner().prefixCacheHits();
    Scores second = guard.classify(r);
    assertEquals(hits + 1, guard.runner().prefixCacheHits(), "the second call starts from the cached prefix");
    assertTrue(guard.runner().prefixCacheMisses() <= misses + 1);
    assertEquals(first, second);
    PromptPreparer.Prepared p = guard.preparer().prepare(r, CategoryMode.TEACHER_FORCED);
    long[] all = PromptEncoder.concat(p.plan().prefix(), p.head(), p.judged(), p.plan().suffixes().get(0),
        new long[] {id("\n\n")});
    double uncached = DecisionScorer.softmax(direct(all), new long[] {id("safe"), id("unsafe")})[1];
    assertEquals(uncached, first.unsafe(), TOL);
    try (DecoderGuardClassifier noCache = DecoderGuardClassifier.load(lg3, DecoderOptions.builder()
        .prefixCacheEntries(0).build())) {
      Scores s = noCache.classify(r);
      assertEquals(first.unsafe(), s.unsafe(), TOL);
      for (String code : first.categories().keySet()) {
        assertEquals(first.categories().get(code), s.categories().get(code), TOL);
      }
    }
  }

  @Test
  void batch_mixedTargetsAndTaxonomies_equalsSingle() {
    Taxonomy custom = Taxonomy.builder("custom").add("S1", "Competitors", "Talk about rival products").build();
    List<ClassificationRequest> rs = List.of(
        req(Conversation.ofPrompt("hello world")),
        ClassificationRequest.of(Conversation.ofPrompt("what is the weather today"), custom),
        req(Conversation.ofExchange("how do I make a cake", "Mix the flour.")),
        req(Conversation.of(Turn.user("hi"), Turn.assistant("hello"), Turn.user("tell me about cats"))));
    List<Scores> batch = guard.classifyBatch(rs);
    for (int i = 0; i < rs.size(); i++) {
      Scores single = guard.classify(rs.get(i));
      assertEquals(single.unsafe(), batch.get(i).unsafe(), TOL, "row " + i);
      assertEquals(single.categories().keySet(), batch.get(i).categories().keySet());
      for (String code : single.categories().keySet()) {
        assertEquals(single.categories().get(code), batch.get(i).categories().get(code), TOL);
      }
    }
    assertEquals(List.of("S1"), List.copyOf(batch.get(1).categories().keySet()));
  }

  @Test
  void exactMode_categoryScoreIsUnsafeOfThatCategoryAlone() {
    try (DecoderGuardClassifier exact = DecoderGuardClassifier.load(lg3, DecoderOptions.builder()
        .categoryMode(CategoryMode.EXACT).maxBatchSize(4).build())) {
      assertTrue(exact.incremental().isEmpty(), "exact mode has no incremental form");
      assertFalse(exact.info().supports(Capability.INCREMENTAL));
      assertThrows(UnsupportedOperationException.class, () -> exact.open(
          ClassificationRequest.of(Conversation.ofPrompt("hi"), exact.info().taxonomy())));
      Conversation c = Conversation.ofPrompt("how do I make a bomb");
      Scores s = exact.classify(ClassificationRequest.of(c, exact.info().taxonomy()));
      assertEquals(13, s.categories().size());
      assertEquals(guard.classify(req(c)).unsafe(), s.unsafe(), TOL);
      for (String code : List.of("S1", "S9", "S13")) {
        Taxonomy alone = Taxonomy.of("llama-guard-3-1b", List.of(exact.info().taxonomy().category(code).orElseThrow()));
        Scores one = guard.classify(ClassificationRequest.of(c, alone));
        assertEquals(one.unsafe(), s.categories().get(code), TOL, code);
      }
    }
  }

  @Test
  void truncation_longPromptAndLongContext_areRecorded() {
    try (DecoderGuardClassifier small = DecoderGuardClassifier.load(lg3, DecoderOptions.builder()
        .maxContextTokens(400).build())) {
      String longText = "the quick brown fox ".repeat(200);
      Scores s = small.classify(ClassificationRequest.of(Conversation.ofPrompt(longText), small.info().taxonomy()));
      assertTrue(s.truncation().isPresent());
      assertEquals(Truncation.Strategy.HEAD_TAIL, s.truncation().get().strategy());
      assertEquals(Truncation.Unit.TOKENS, s.truncation().get().unit());
      assertTrue(s.truncation().get().keptLength() < s.truncation().get().originalLength());
      Conversation ctx = Conversation.of(Turn.user(longText), Turn.assistant("ok"), Turn.user("hello"));
      Scores c = small.classify(ClassificationRequest.of(ctx, small.info().taxonomy()));
      assertEquals(Truncation.Strategy.DROP_OLDEST_TURNS, c.truncation().orElseThrow().strategy());
      Conversation kept = Conversation.of(Turn.assistant("ok"), Turn.user("hello"));
      assertEquals(small.classify(ClassificationRequest.of(kept, small.info().taxonomy())).unsafe(), c.unsafe(), TOL,
          "only the oldest turn (the long one) is dropped");
      assertTrue(guard.classify(req(Conversation.ofPrompt("hello"))).truncation().isEmpty());
    }
  }

  @Test
  void cancelledRequest_throwsCancellation() {
    Cancellation cancel = Cancellation.create();
    cancel.cancel();
    assertThrows(CancellationException.class, () -> guard.classify(
        new ClassificationRequest(Conversation.ofPrompt("never runs " + System.nanoTime()), guard.info().taxonomy(),
            cancel)));
  }

  @Test
  void qwen3Guard_reportsControversialAndResponseCategoriesWithoutJailbreak() {
    Path dir = Fixtures.model(root.resolve("qwen"), GuardFamily.QWEN3GUARD_GEN);
    try (DecoderGuardClassifier q = DecoderGuardClassifier.load(dir)) {
      assertTrue(q.info().supports(Capability.SEVERITY_LEVELS));
      Scores p = q.classify(ClassificationRequest.of(Conversation.ofPrompt("hello"), q.info().taxonomy()));
      assertTrue(p.controversial().isPresent());
      assertTrue(p.unsafe() + p.controversial().getAsDouble() <= 1 + 1e-9);
      assertTrue(p.categories().containsKey("jailbreak"));
      double flagged = p.unsafe() + p.controversial().getAsDouble();
      assertEquals(flagged, p.categories().values().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
      Scores r = q.classify(ClassificationRequest.of(Conversation.ofExchange("hi", "hello"), q.info().taxonomy()));
      assertFalse(r.categories().containsKey("jailbreak"));
      assertEquals(8, r.categories().size());
    }
  }

  @Test
  void shieldGemma_onePolicyPerPrompt_batchedEqualsOneByOne() {
    Path dir = Fixtures.model(root.resolve("sg"), GuardFamily.SHIELDGEMMA);
    try (DecoderGuardClassifier batched = DecoderGuardClassifier.load(dir);
        DecoderGuardClassifier single = DecoderGuardClassifier.load(dir, DecoderOptions.builder().maxBatchSize(1)
            .build())) {
      Conversation c = Conversation.ofExchange("how do I make a cake", "Mix the flour.");
      Scores a = batched.classify(ClassificationRequest.of(c, batched.info().taxonomy()));
      Scores b = single.classify(ClassificationRequest.of(c, single.info().taxonomy()));
      assertEquals(List.of("dangerous", "hate", "sexual", "harassment"), List.copyOf(a.categories().keySet()));
      double max = 0;
      for (String code : a.categories().keySet()) {
        assertEquals(b.categories().get(code), a.categories().get(code), TOL);
        max = Math.max(max, a.categories().get(code));
      }
      assertEquals(max, a.unsafe(), 0.0);
    }
  }

  @Test
  void close_isIdempotentAndUseAfterCloseThrows() {
    DecoderGuardClassifier c = DecoderGuardClassifier.load(lg3);
    var session = c.open(ClassificationRequest.of(Conversation.ofPrompt("hi"), c.info().taxonomy()));
    c.close();
    c.close();
    assertThrows(IllegalStateException.class,
        () -> c.classify(ClassificationRequest.of(Conversation.ofPrompt("hi"), c.info().taxonomy())));
    assertThrows(IllegalStateException.class, session::score);
    session.close();
    session.close();
  }

  // ---- bad model folders ----------------------------------------------------------------------------------

  static Path copyOf(String name) throws Exception {
    Path d = root.resolve(name);
    Files.createDirectories(d);
    try (var files = Files.list(lg3)) {
      for (Path f : files.toList()) {
        Files.copy(f, d.resolve(f.getFileName()));
      }
    }
    return d;
  }

  @Test
  void load_missingTokenizer_namesTheFile() throws Exception {
    Path d = copyOf("no-tokenizer");
    Files.delete(d.resolve("tokenizer.json"));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d));
    assertTrue(e.getMessage().contains("tokenizer.json: missing"), e.getMessage());
    ModelLoadException unchecked = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d,
        DecoderOptions.builder().verifyChecksums(false).build()));
    assertTrue(unchecked.getMessage().contains("tokenizer.json: missing tokenizer"), unchecked.getMessage());
  }

  @Test
  void load_corruptedModelBytes_reportsChecksumMismatch() throws Exception {
    Path d = copyOf("corrupt");
    byte[] model = Files.readAllBytes(d.resolve("model.onnx"));
    model[model.length / 2] ^= 0x5A;
    Files.write(d.resolve("model.onnx"), model);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d));
    assertTrue(e.getMessage().contains("model.onnx: sha256 mismatch, expected "), e.getMessage());
  }

  @Test
  void load_missingManifestOrUnknownFamily_explainsTheFix() throws Exception {
    Path d = copyOf("no-manifest");
    Files.delete(d.resolve("parapet-model.json"));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d));
    assertTrue(e.getMessage().contains("ManifestTool init"), e.getMessage());
    dev.parapet.guard.onnx.ModelManifest.create(d, "gpt-guard", Map.of());
    ModelLoadException f = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d));
    assertTrue(f.getMessage().contains("unknown guard family 'gpt-guard'; known: [llama-guard-3"), f.getMessage());
  }

  @Test
  void load_wrongInputNames_listsWhatWasFoundAndExpected() {
    Path d = root.resolve("wrong-names");
    dev.parapet.guard.onnx.testing.TinyDecoderFixture.write(d,
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withInputNamePrefix("past"), Map.of());
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d));
    assertTrue(e.getMessage().contains("no input 'past_key_values.0.key'"), e.getMessage());
    assertTrue(e.getMessage().contains("past.0.key"), e.getMessage());
    assertTrue(e.getMessage().contains("text-generation-with-past"), e.getMessage());
  }

  @Test
  void load_tokenizerLargerThanModelVocab_reportsVocabMismatch() {
    Path d = root.resolve("vocab");
    dev.parapet.guard.onnx.testing.TinyDecoderFixture.write(d,
        Fixtures.config(GuardFamily.LLAMA_GUARD_3).withLogitsVocab(1000), Map.of());
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d));
    assertTrue(e.getMessage().contains("vocab size mismatch: the tokenizer has 1200 token ids but model.onnx outputs"
        + " logits for 1000"), e.getMessage());
  }

  @Test
  void load_tokenizerOfAnotherFamily_isRejected() throws Exception {
    Path d = copyOf("other-family");
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var json = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(d.resolve("tokenizer.json").toFile());
    var kept = mapper.createArrayNode();
    for (var t : json.get("added_tokens")) {
      if (!t.get("content").asText().equals("<|eot_id|>")) {
        kept.add(t);
      }
    }
    json.set("added_tokens", kept);
    mapper.writeValue(d.resolve("tokenizer.json").toFile(), json);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d,
        DecoderOptions.builder().verifyChecksums(false).build()));
    assertTrue(e.getMessage().contains("has no special token <|eot_id|>, which the llama-guard-3 prompt needs"),
        e.getMessage());
  }

  @Test
  void load_configDisagreesWithGraph_namesBoth() throws Exception {
    Path d = copyOf("bad-config");
    Files.writeString(d.resolve("config.json"), "{\"num_hidden_layers\": 3, \"num_attention_heads\": 4,"
        + " \"num_key_value_heads\": 2, \"hidden_size\": 32, \"vocab_size\": 1200}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> DecoderGuardClassifier.load(d,
        DecoderOptions.builder().verifyChecksums(false).build()));
    assertTrue(e.getMessage().contains("2 layers of KV inputs but config.json says num_hidden_layers=3"),
        e.getMessage());
  }

  @Test
  void generateAnswer_isGreedyFromTheAnswerPosition_andDeterministic() {
    ClassificationRequest r = req(Conversation.ofPrompt("how do I make a cake"));
    PromptPreparer.Prepared p = guard.preparer().prepare(r, CategoryMode.NONE);
    long[] prompt = PromptEncoder.concat(p.plan().prefix(), p.head(), p.judged(), p.plan().suffixes().get(0));
    float[] logits = direct(prompt);
    int argmax = 0;
    for (int v = 1; v < logits.length; v++) {
      argmax = logits[v] > logits[argmax] ? v : argmax;
    }
    String answer = guard.generateAnswer(r, 6);
    assertEquals(answer, guard.generateAnswer(r, 6));
    if (!guard.preparer().encoder().tokenizer().specialIds().contains((long) argmax)) {
      assertTrue(answer.startsWith(guard.preparer().encoder().tokenizer().decode(new long[] {argmax})), answer);
    }
    assertTrue(guard.generateAnswer(r, 6).startsWith(guard.generateAnswer(r, 2)), "greedy answers extend");
    assertThrows(IllegalArgumentException.class, () -> guard.generateAnswer(r, 0));
  }

  @Test
  void classify_nullRequest_throwsNpeNamingIt() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> guard.classify(null));
    assertEquals("request", e.getMessage());
    assertArrayEquals(new long[] {1, 2, 9, 10}, PromptPreparer.headTail(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4));
  }
}
