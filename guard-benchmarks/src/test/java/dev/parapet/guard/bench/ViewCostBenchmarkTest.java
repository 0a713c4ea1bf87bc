package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Note;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.testing.TestAssets;
import org.junit.jupiter.api.Test;

/**
 * {@link ViewCostBenchmark} runs once on the real default model (no timing asserted), and what it measures is what
 * it claims: its prompts are ordinary text, for which no view is built, so views on and off give the same verdict
 * and the benchmark compares the cost of deciding that, not extra model runs.
 */
class ViewCostBenchmarkTest {

  @Test
  void eachMethodOnce_ordinaryPrompts_buildNoViewAndJudgeAlike() {
    TestAssets.assume("default-model", BenchmarksRunOnceTest.defaultModelPresent(),
        "the embedded default model is not on the classpath");
    assertEquals(ViewCostBenchmark.N, ViewCostBenchmark.PROMPTS.size(), "@OperationsPerInvocation must match");
    ViewCostBenchmark bench = new ViewCostBenchmark();
    bench.load();
    try {
      bench.viewsOn(BenchmarksRunOnceTest.BH);
      bench.viewsOff(BenchmarksRunOnceTest.BH);
      bench.buildViewsOnly(BenchmarksRunOnceTest.BH);
      for (String p : ViewCostBenchmark.PROMPTS) {
        assertTrue(dev.parapet.guard.text.TextViews.defaults().of(p).isEmpty(), "a view was built for: " + p);
        Verdict on = bench.on.checkPrompt(p);
        Verdict off = bench.off.checkPrompt(p);
        assertEquals(off.decision(), on.decision(), p);
        assertEquals(off.unsafeScore(), on.unsafeScore(), 1e-6, p);
        assertTrue(!on.hasNote(Note.Kind.VIEW), p + ": " + on);
      }
    } finally {
      bench.close();
    }
  }
}
