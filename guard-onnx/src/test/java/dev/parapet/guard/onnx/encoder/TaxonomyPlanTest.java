package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.taxonomy.Taxonomies;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaxonomyPlanTest {
  private static final Taxonomy LG3 = Taxonomies.llamaGuard3();
  private static final List<String> LABELS = labels();

  private static List<String> labels() {
    List<String> l = new ArrayList<>(List.of("unsafe"));
    l.addAll(LG3.codes());
    return l;
  }

  private static TaxonomyPlan plan(Taxonomy t) {
    return TaxonomyPlan.build(t, LG3, LABELS, examples -> Prototypes.fixed(new float[][] {{1f}}, 0.5, 0.1));
  }

  @Test
  void build_presetsSharingLlamaGuardCodes_mapNatively() {
    assertTrue(plan(LG3).allNative);
    TaxonomyPlan oneB = plan(Taxonomies.llamaGuard3OneB());
    assertFalse(oneB.allNative);
    assertEquals(13, oneB.enabledLabels.length);
    TaxonomyPlan ail = plan(Taxonomies.ailuminate());
    assertEquals(13, ail.enabledLabels.length);
    assertTrue(ail.unscored.isEmpty());
  }

  @Test
  void build_aegisReusingCodesForOtherHazards_mapsNothingNatively() {
    TaxonomyPlan aegis = plan(Taxonomies.aegis2());
    assertEquals(0, aegis.enabledLabels.length);
    assertEquals(Taxonomies.aegis2().codes(), aegis.unscored);
  }

  @Test
  void sameHazard_namesCompared_byWordContainment() {
    assertTrue(TaxonomyPlan.sameHazard("Self-Harm", "Suicide & Self-Harm"));
    assertTrue(TaxonomyPlan.sameHazard("Violent Crimes", "violent crimes"));
    assertFalse(TaxonomyPlan.sameHazard("Violent Crimes", "Violence"));
  }

  @Test
  void restrictedUnsafe_topCategoryOff_scalesByEnabledShare() {
    TaxonomyPlan p = plan(LG3.without("S1"));
    double[] probs = new double[15];
    probs[0] = 0.8;
    probs[1] = 0.9; // S1, off
    probs[2] = 0.3; // S2, on
    assertEquals(0.8 * 0.3 / 0.9, Scorer.restrictedUnsafe(probs, p), 1e-12);
    probs[2] = 0.95;
    assertEquals(0.8, Scorer.restrictedUnsafe(probs, p), 1e-12);
    assertEquals(0.8, Scorer.restrictedUnsafe(probs, plan(LG3)), 1e-12);
  }
}
