package dev.parapet.guard.taxonomy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes {@link Taxonomy#fromJson(String)}: any text either reads or is refused with the documented
 * {@link IllegalArgumentException}; what reads round-trips through {@link Taxonomy#toJson()} (same hash).
 */
class TaxonomyJsonFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void fromJson(byte[] data) {
    String json = new String(data, StandardCharsets.UTF_8);
    Taxonomy t;
    try {
      t = Taxonomy.fromJson(json);
    } catch (IllegalArgumentException expected) {
      return;
    }
    Taxonomy again = Taxonomy.fromJson(t.toJson());
    assertEquals(t, again);
    assertEquals(t.hash(), again.hash());
  }
}
