package dev.parapet.guard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes {@link PolicySpec#parse}: any string either parses or is refused with the documented
 * {@link IllegalArgumentException}; what parses round-trips through {@link Policy#toSpec()}. Seeds:
 * {@code src/test/resources/dev/parapet/guard/policy/PolicySpecFuzzTestInputs/parse/}; {@code mvn verify} runs
 * them (Jazzer's regression mode), {@code scripts/fuzz.sh} fuzzes for real.
 */
class PolicySpecFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void parse(byte[] data) {
    String spec = new String(data, StandardCharsets.UTF_8);
    Policy p;
    try {
      p = PolicySpec.parse(spec);
    } catch (IllegalArgumentException expected) {
      return;
    }
    assertEquals(p, PolicySpec.parse(p.toSpec()), () -> "round trip of " + p.toSpec());
  }
}
