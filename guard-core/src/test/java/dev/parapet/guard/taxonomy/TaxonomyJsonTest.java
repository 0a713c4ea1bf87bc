package dev.parapet.guard.taxonomy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The JSON seam of {@link Taxonomy}: the format lives in {@link TaxonomyJson}, the hash stays what it was. */
class TaxonomyJsonTest {
  @Test
  void presetHashes_areUnchanged_soCachedIdsAndPrefixCachesStayValid() {
    // values computed before the JSON code moved out of Taxonomy: caches and classifier ids key on them
    assertEquals("c62f9fbb192fe15d", Taxonomies.llamaGuard3().hash());
    assertEquals("8d30ce828ebebc76", Taxonomies.llamaGuard3OneB().hash());
  }

  @Test
  void canonicalBytes_areCompact_andTheReadableFormIsIndented() {
    Taxonomy t = Taxonomies.llamaGuard3();
    String canonical = new String(TaxonomyJson.canonicalBytes(t), StandardCharsets.UTF_8);
    assertFalse(canonical.contains("\n"), "the hashed form has no layout to drift");
    assertTrue(TaxonomyJson.write(t).contains("\n  \"categories\""), "the written form is for people");
    assertEquals(t, TaxonomyJson.read(TaxonomyJson.write(t), "test"));
  }
}
