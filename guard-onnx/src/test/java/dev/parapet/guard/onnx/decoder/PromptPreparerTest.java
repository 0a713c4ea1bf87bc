package dev.parapet.guard.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Target;
import dev.parapet.guard.onnx.ContentTokenizer;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan cache and the head+tail cut of {@link PromptPreparer}, on the fixture tokenizer (no model run). */
class PromptPreparerTest {
  @TempDir Path dir;

  @Test
  void plan_manyTaxonomies_cacheStaysBoundedAndReusesAPlan() {
    Fixtures.model(dir, GuardFamily.LLAMA_GUARD_3);
    try (ContentTokenizer tok = ContentTokenizer.load(dir.resolve("tokenizer.json"))) {
      PromptPreparer preparer = new PromptPreparer(GuardFamily.LLAMA_GUARD_3, tok, 1024);
      Taxonomy first = taxonomy(0);
      Plan plan = preparer.plan(first, Target.PROMPT, CategoryMode.NONE);
      assertSame(plan, preparer.plan(first, Target.PROMPT, CategoryMode.NONE), "a cached plan is reused");
      int n = PromptPreparer.MAX_PLANS + 100;
      for (int i = 1; i < n; i++) {
        preparer.plan(taxonomy(i), Target.PROMPT, CategoryMode.NONE);
      }
      long cached = preparer.cachedPlans();
      // bounded by evicting some plans, not by dropping every plan at once when full
      assertTrue(cached <= PromptPreparer.MAX_PLANS, "cached " + cached);
      assertTrue(cached >= PromptPreparer.MAX_PLANS / 2, "cached " + cached);
      // an evicted plan is rebuilt with the same ids
      Plan again = preparer.plan(first, Target.PROMPT, CategoryMode.NONE);
      assertArrayEquals(plan.prefix(), again.prefix());
      assertArrayEquals(plan.chain(), again.chain());
    }
  }

  @Test
  void headTail_keepsTheFirstAndLastHalves() {
    assertArrayEquals(new long[] {1, 2, 9, 10}, PromptPreparer.headTail(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4));
    assertArrayEquals(new long[] {1, 8, 9}, PromptPreparer.headTail(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 3));
    assertEquals(0, PromptPreparer.headTail(new long[] {1, 2}, 0).length);
  }

  private static Taxonomy taxonomy(int i) {
    return Taxonomy.of("custom-" + i, List.of(Category.of("X1", "Topic number " + i, "Anything about topic " + i)));
  }
}
