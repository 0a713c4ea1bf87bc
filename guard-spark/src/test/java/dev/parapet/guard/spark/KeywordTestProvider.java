package dev.parapet.guard.spark;

import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.spi.Capability;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.ClassifierProvider;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomies;
import java.util.List;
import java.util.Map;

/**
 * Test-only model {@code provider:keyword-test} (registered in src/test/resources): "kill" scores S1 at 0.9, other
 * text 0.1; a batch holding the text "BOOM" throws, as a broken model would, failing its whole checkAll batch.
 */
public final class KeywordTestProvider implements ClassifierProvider {
  static final String MODEL = "provider:keyword-test";

  @Override
  public String name() {
    return "keyword-test";
  }

  @Override
  public Classifier create(Map<String, String> options) {
    return new Classifier() {
      private final ClassifierInfo info = new ClassifierInfo("keyword-test", Taxonomies.llamaGuard3(),
          ClassifierInfo.capabilities(Capability.PROMPT, Capability.RESPONSE, Capability.CATEGORY_SCORES,
              Capability.BATCH), Integer.MAX_VALUE, "none");

      @Override
      public ClassifierInfo info() {
        return info;
      }

      @Override
      public Scores classify(ClassificationRequest r) {
        return classifyBatch(List.of(r)).get(0);
      }

      @Override
      public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
        for (ClassificationRequest r : requests) {
          if (r.conversation().last().text().contains("BOOM")) {
            throw new ClassificationException("test model exploded on purpose");
          }
        }
        return requests.stream().map(r -> {
          double p = r.conversation().last().text().contains("kill") ? 0.9 : 0.1;
          return Scores.builder().unsafe(p).category("S1", p).category("S2", 0.05).build();
        }).toList();
      }
    };
  }
}
