package dev.parapet.guard.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One rule for tests that need something a clean machine may lack (the embedded default model, Chromium, the
 * real tokenizers, the {@code openai} npm client): when it is absent the test is skipped, loudly (on stderr and
 * in the report), unless the build said it must be there. {@code .ci/run} lists in
 * {@code PARAPET_REQUIRE_TEST_ASSETS} (comma-separated) every asset it managed to install, so on CI a test that
 * should have run but could not find its asset fails instead of skipping unnoticed.
 *
 * <p>Asset names: {@code default-model}, {@code chromium}, {@code tokenizers}, {@code openai-npm}.
 */
public final class TestAssets {
  /** The environment variable {@code .ci/run} sets. */
  public static final String REQUIRE_ENV = "PARAPET_REQUIRE_TEST_ASSETS";

  private TestAssets() {}

  /**
   * Returns when {@code present}; otherwise fails the test if {@code asset} is required, else skips it.
   *
   * @param why what is missing and how to provide it (shown either way)
   */
  public static void assume(String asset, boolean present, String why) {
    if (present) {
      return;
    }
    if (required().contains(asset)) {
      fail(asset + " is required here (" + REQUIRE_ENV + "=" + System.getenv(REQUIRE_ENV) + ") but missing: " + why);
    }
    String message = "SKIPPED (" + asset + " missing): " + why;
    System.err.println("WARNING " + message);
    assumeTrue(false, message);
  }

  /** The assets this build requires ({@link #REQUIRE_ENV}); empty when unset. */
  public static Set<String> required() {
    String v = System.getenv(REQUIRE_ENV);
    if (v == null || v.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(v.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }
}
