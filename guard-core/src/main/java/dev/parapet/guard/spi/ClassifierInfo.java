package dev.parapet.guard.spi;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.EnumSet;
import java.util.Set;

/**
 * Describes a classifier. Immutable and thread-safe.
 *
 * @param id stable identifier of the model and its settings (part of cache keys), e.g.
 *     {@code parapet-default@3f2a9c}
 * @param taxonomy the taxonomy it was trained on and uses when a request does not say otherwise
 * @param capabilities what it can do
 * @param maxInputTokens how many tokens it reads at once; longer inputs are handled by a strategy recorded in
 *     {@link Scores#truncation()}; {@code Integer.MAX_VALUE} when unbounded
 * @param device where it runs ({@code "cpu"}, {@code "cuda:0"}, {@code "none"} for fakes): the device actually
 *     used, after any fallback
 */
public record ClassifierInfo(
    String id, Taxonomy taxonomy, Set<Capability> capabilities, int maxInputTokens, String device) {
  public ClassifierInfo {
    requireNonNull(id, "id");
    requireNonNull(taxonomy, "taxonomy");
    requireNonNull(device, "device");
    capabilities = Set.copyOf(requireNonNull(capabilities, "capabilities"));
    if (id.isBlank()) {
      throw new IllegalArgumentException("classifier id must not be empty");
    }
    if (maxInputTokens <= 0) {
      throw new IllegalArgumentException("maxInputTokens must be positive, was " + maxInputTokens);
    }
  }

  public boolean supports(Capability c) {
    return capabilities.contains(c);
  }

  /** Convenience for implementations. */
  public static Set<Capability> capabilities(Capability first, Capability... rest) {
    return EnumSet.of(first, rest);
  }
}
