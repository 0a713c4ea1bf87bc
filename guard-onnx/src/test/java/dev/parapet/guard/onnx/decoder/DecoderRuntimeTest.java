package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import dev.parapet.guard.spi.Cancellation;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariants of the KV-cache runtime on the random-weight fixture decoder. */
class DecoderRuntimeTest {
  static final double TOL = 1e-5;
  @TempDir static Path dir;
  static OrtSessions.Opened opened;
  static ModelSpec spec;
  /** Largest absolute logit difference seen per invariant (published in the test report). */
  static final java.util.Map<String, Double> measured = new java.util.TreeMap<>();

  @BeforeAll
  static void load() throws Exception {
    TinyDecoderFixture.write(dir, TinyDecoderFixture.Config.tiny("llama-guard-3"));
    opened = OrtSessions.open(dir.resolve("model.onnx"), OnnxOptions.builder().intraOpThreads(1).build(), "m");
    spec = ModelSpec.read(opened.session(), "model.onnx",
        new ObjectMapper().readTree(dir.resolve("config.json").toFile()));
  }

  @AfterAll
  static void close(org.junit.jupiter.api.TestReporter reporter) {
    opened.close();
    // into the test report (surefire XML), not stdout: the figures are for reading, the asserts hold the line
    reporter.publishEntry("max |diff| per invariant", measured.toString());
  }

  static DecoderRuntime runtime(int chunk) {
    return new DecoderRuntime(opened.session(), spec, chunk, 1L << 26);
  }

  static long[] tokens(int n, int seed) {
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = 20 + (i * 37L + seed * 11L) % 500;
    }
    return t;
  }

  static int[] allPositions(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    return p;
  }

  static double maxDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  static void record(String what, double d) {
    measured.merge(what, d, Math::max);
    assertTrue(d <= TOL, what + ": max |diff| " + d + " > " + TOL);
  }

  @Test
  void spec_readFromGraphAndConfig() {
    assertEquals(2, spec.layers());
    assertEquals(2, spec.kvHeads());
    assertEquals(8, spec.headDim());
    assertEquals(600, spec.vocab());
    assertTrue(spec.hasPositionIds());
  }

  @Test
  void tokenByToken_withKv_equalsFullSequence() {
    DecoderRuntime rt = runtime(64);
    long[] t = tokens(24, 1);
    float[][][] full;
    try (KvCache empty = KvCache.empty(spec, 1)) {
      full = rt.logits(empty, new long[][] {t}, new int[][] {allPositions(t.length)}, Cancellation.create(), "full");
    }
    KvCache cache = KvCache.empty(spec, 1);
    try {
      for (int i = 0; i < t.length; i++) {
        float[][][] step = rt.logits(cache, new long[][] {{t[i]}}, new int[][] {{0}}, Cancellation.create(), "s");
        record("token-by-token vs full", maxDiff(full[0][i], step[0][0]));
        KvCache next = rt.extend(cache, new long[][] {{t[i]}}, Cancellation.create(), "commit");
        cache.close();
        cache = next;
      }
      assertEquals(t.length, cache.length());
    } finally {
      cache.close();
    }
  }

  @Test
  void logits_selectedIds_equalThoseEntriesOfTheFullRows() {
    DecoderRuntime rt = runtime(64);
    long[] t = tokens(10, 3);
    int[] wanted = {9, 4};
    long[][] ids = {{599, 0, 17}, {42}};
    try (KvCache empty = KvCache.empty(spec, 1)) {
      float[][][] full = rt.logits(empty, new long[][] {t}, new int[][] {wanted}, Cancellation.create(), "full");
      float[][][] picked = rt.logits(empty, new long[][] {t}, new int[][] {wanted}, new long[][][] {ids},
          Cancellation.create(), "picked");
      for (int i = 0; i < wanted.length; i++) {
        assertEquals(ids[i].length, picked[0][i].length, "only the selected ids are copied");
        for (int j = 0; j < ids[i].length; j++) {
          assertEquals(full[0][i][(int) ids[i][j]], picked[0][i][j], 0f, "position " + i + " id " + ids[i][j]);
        }
      }
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> rt.logits(empty,
          new long[][] {t}, new int[][] {{0}}, new long[][][] {{{600}}}, Cancellation.create(), "out of range"));
    }
  }

  @Test
  void logits_readFromPinnedBuffer_bitwiseEqualOrtAllocatedOutput() throws Exception {
    DecoderRuntime rt = runtime(64);
    long[] t = tokens(12, 5);
    int[] wanted = {11, 3, 7, 0};
    float[][][] ours;
    float[] reference;
    try (KvCache empty = KvCache.empty(spec, 1)) {
      ours = rt.logits(empty, new long[][] {t}, new int[][] {wanted}, Cancellation.create(), "pinned");
      long[] mask = new long[t.length];
      long[] pos = new long[t.length];
      for (int i = 0; i < t.length; i++) {
        mask[i] = 1;
        pos[i] = i;
      }
      var env = OrtSessions.environment();
      java.util.Map<String, ai.onnxruntime.OnnxTensor> feeds = new java.util.HashMap<>();
      try (var ids = ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(t), new long[] {1, t.length});
          var m = ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(mask), new long[] {1, t.length});
          var p = ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(pos), new long[] {1, t.length})) {
        feeds.put("input_ids", ids);
        feeds.put("attention_mask", m);
        feeds.put("position_ids", p);
        for (int l = 0; l < spec.layers(); l++) {
          feeds.put(ModelSpec.pastKey(l), empty.key(l));
          feeds.put(ModelSpec.pastValue(l), empty.value(l));
        }
        try (var r = opened.session().run(feeds, java.util.Set.of("logits"))) {
          java.nio.FloatBuffer all = ((ai.onnxruntime.OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer();
          reference = new float[all.remaining()];
          all.get(reference);
        }
      }
    }
    for (int i = 0; i < wanted.length; i++) {
      float[] expected = java.util.Arrays.copyOfRange(reference, wanted[i] * spec.vocab(),
          (wanted[i] + 1) * spec.vocab());
      assertArrayEquals(expected, ours[0][i], "logits after token " + wanted[i]);
    }
  }

  @Test
  void chunkedPrefill_equalsFull() {
    long[] t = tokens(40, 2);
    long[] s = tokens(5, 3);
    float[][][] ref;
    try (KvCache empty = KvCache.empty(spec, 1); KvCache whole = runtime(1000).extend(empty, new long[][] {t},
        Cancellation.create(), "p")) {
      ref = runtime(1000).logits(whole, new long[][] {s}, new int[][] {allPositions(5)}, Cancellation.create(), "s");
    }
    for (int chunk : new int[] {1, 3, 7, 16}) {
      try (KvCache empty = KvCache.empty(spec, 1); KvCache c = runtime(chunk).extend(empty, new long[][] {t},
          Cancellation.create(), "p")) {
        assertEquals(40, c.length());
        float[][][] got = runtime(chunk).logits(c, new long[][] {s}, new int[][] {allPositions(5)},
            Cancellation.create(), "s");
        for (int i = 0; i < 5; i++) {
          record("chunked prefill vs full", maxDiff(ref[0][i], got[0][i]));
        }
      }
    }
  }

  @Test
  void suffixFork_leavesCommittedCacheBitwiseUnchanged() {
    DecoderRuntime rt = runtime(8);
    try (KvCache empty = KvCache.empty(spec, 1);
        KvCache committed = rt.extend(empty, new long[][] {tokens(12, 4)}, Cancellation.create(), "p")) {
      byte[][] before = committed.snapshot();
      long[] maskBefore = committed.mask(0);
      float[][][] a = rt.logits(committed, new long[][] {tokens(9, 5)}, new int[][] {{8}}, Cancellation.create(), "f");
      rt.logits(committed, new long[][] {tokens(20, 6)}, new int[][] {{19}}, Cancellation.create(), "f2");
      float[][][] b = rt.logits(committed, new long[][] {tokens(9, 5)}, new int[][] {{8}}, Cancellation.create(), "f");
      assertEquals(12, committed.length());
      assertArrayEquals(maskBefore, committed.mask(0));
      byte[][] after = committed.snapshot();
      for (int i = 0; i < before.length; i++) {
        assertArrayEquals(before[i], after[i], "layer tensor " + i);
      }
      assertArrayEquals(a[0][0], b[0][0]);
    }
  }

  @Test
  void batchWithLeftPadding_equalsSingle() {
    DecoderRuntime rt = runtime(5);
    long[][] prefixes = {tokens(7, 7), tokens(13, 8), tokens(3, 9)};
    long[][] suffixes = {tokens(4, 10), tokens(9, 11), tokens(1, 12)};
    float[][] single = new float[3][];
    for (int r = 0; r < 3; r++) {
      try (KvCache empty = KvCache.empty(spec, 1);
          KvCache c = rt.extend(empty, new long[][] {prefixes[r]}, Cancellation.create(), "p")) {
        single[r] = rt.logits(c, new long[][] {suffixes[r]}, new int[][] {{suffixes[r].length - 1}},
            Cancellation.create(), "s")[0][0];
      }
    }
    // batched prefill of different lengths (left padding), then batched suffixes (padding in the middle)
    try (KvCache empty = KvCache.empty(spec, 3); KvCache c = rt.extend(empty, prefixes, Cancellation.create(), "p")) {
      float[][][] batched = rt.logits(c, suffixes, new int[][] {{3}, {8}, {0}}, Cancellation.create(), "s");
      for (int r = 0; r < 3; r++) {
        record("batch vs single", maxDiff(single[r], batched[r][0]));
      }
    }
    // stacking separately computed caches gives the same as well
    List<KvCache> parts = new java.util.ArrayList<>();
    try {
      for (int r = 0; r < 3; r++) {
        try (KvCache empty = KvCache.empty(spec, 1)) {
          parts.add(rt.extend(empty, new long[][] {prefixes[r]}, Cancellation.create(), "p"));
        }
      }
      try (KvCache stacked = KvCache.stack(spec, parts)) {
        float[][][] batched = rt.logits(stacked, suffixes, new int[][] {{3}, {8}, {0}}, Cancellation.create(), "s");
        for (int r = 0; r < 3; r++) {
          record("stacked caches vs single", maxDiff(single[r], batched[r][0]));
        }
      }
    } finally {
      parts.forEach(KvCache::close);
    }
  }

  @Test
  void truncateAndStack_ofOrtAndOwnBuffers_copyTheSameBytes() {
    DecoderRuntime rt = runtime(16);
    long[] t = tokens(20, 21);
    try (KvCache empty = KvCache.empty(spec, 1);
        KvCache full = rt.extend(empty, new long[][] {t}, Cancellation.create(), "p"); // ORT-allocated tensors
        KvCache cut = full.truncate(15); // our own direct buffers
        KvCache cutTwice = cut.truncate(9);
        KvCache cutOnce = full.truncate(9);
        KvCache forks = KvCache.stack(spec, java.util.Collections.nCopies(3, full));
        KvCache mixed = KvCache.stack(spec, List.of(full, cut, full))) {
      byte[][] once = cutOnce.snapshot();
      byte[][] twice = cutTwice.snapshot();
      byte[][] one = full.snapshot();
      byte[][] three = forks.snapshot();
      byte[][] shorter = cut.snapshot();
      byte[][] mix = mixed.snapshot();
      for (int i = 0; i < one.length; i++) {
        assertArrayEquals(once[i], twice[i], "truncate of a truncated cache, tensor " + i);
        int row = one[i].length;
        assertEquals(3 * row, three[i].length);
        assertEquals(3 * row, mix[i].length);
        for (int r = 0; r < 3; r++) {
          assertArrayEquals(one[i], java.util.Arrays.copyOfRange(three[i], r * row, (r + 1) * row),
              "stacked fork " + r + ", tensor " + i);
        }
        // the middle row of the mixed stack is the 15-token cache, left-padded with zero KV to 20 positions
        byte[] middle = java.util.Arrays.copyOfRange(mix[i], row, 2 * row);
        int unit = row / (spec.kvHeads() * 20);
        for (int h = 0; h < spec.kvHeads(); h++) {
          byte[] got = java.util.Arrays.copyOfRange(middle, h * 20 * unit + 5 * unit, (h + 1) * 20 * unit);
          byte[] want = java.util.Arrays.copyOfRange(shorter[i], h * 15 * unit, (h + 1) * 15 * unit);
          assertArrayEquals(want, got, "padded row, head " + h + ", tensor " + i);
          for (int b = h * 20 * unit; b < h * 20 * unit + 5 * unit; b++) {
            assertEquals(0, middle[b], "padding is zero");
          }
        }
      }
      assertEquals(List.of(0L, 0L, 0L, 0L, 0L, 1L), java.util.Arrays.stream(mixed.mask(1)).limit(6).boxed().toList());
    }
  }

  @Test
  void truncate_equalsShorterPrefill() {
    DecoderRuntime rt = runtime(16);
    long[] t = tokens(20, 13);
    long[] s = tokens(3, 14);
    try (KvCache empty = KvCache.empty(spec, 1);
        KvCache full = rt.extend(empty, new long[][] {t}, Cancellation.create(), "p");
        KvCache cut = full.truncate(11);
        KvCache shorter = rt.extend(empty, new long[][] {java.util.Arrays.copyOf(t, 11)}, Cancellation.create(), "p")) {
      float[] a = rt.logits(cut, new long[][] {s}, new int[][] {{2}}, Cancellation.create(), "s")[0][0];
      float[] b = rt.logits(shorter, new long[][] {s}, new int[][] {{2}}, Cancellation.create(), "s")[0][0];
      record("truncated cache vs shorter prefill", maxDiff(a, b));
    }
  }

  @Test
  void extend_unpaddedRows_storeNoMask_paddedStackAndItsExtensionDo() {
    DecoderRuntime rt = runtime(8);
    try (KvCache empty = KvCache.empty(spec, 1);
        KvCache a = rt.extend(empty, new long[][] {tokens(12, 1)}, Cancellation.create(), "a");
        KvCache grown = rt.extend(a, new long[][] {tokens(3, 2)}, Cancellation.create(), "grown");
        KvCache b = rt.extend(empty, new long[][] {tokens(9, 3)}, Cancellation.create(), "b");
        KvCache same = KvCache.stack(spec, List.of(a, a));
        KvCache mixed = KvCache.stack(spec, List.of(a, b));
        KvCache mixedGrown = rt.extend(mixed, new long[][] {tokens(2, 4), tokens(2, 5)}, Cancellation.create(), "m")) {
      // one unpadded row (a streaming session's committed cache) keeps no mask array, yet reads as all ones
      assertTrue(a.unpadded() && grown.unpadded() && same.unpadded());
      assertEquals(15, grown.realLength(0));
      assertArrayEquals(ones(15), grown.mask(0));
      // rows of different lengths are left-padded: the mask is stored, and kept through an extension
      assertTrue(!mixed.unpadded() && !mixedGrown.unpadded());
      assertEquals(9 + 2, mixedGrown.realLength(1));
      long[] want = new long[14];
      java.util.Arrays.fill(want, 3, 14, 1L);
      assertArrayEquals(want, mixedGrown.mask(1));
      assertEquals(12, mixed.truncate(12).realLength(0));
    }
  }

  private static long[] ones(int n) {
    long[] m = new long[n];
    java.util.Arrays.fill(m, 1L);
    return m;
  }
}
