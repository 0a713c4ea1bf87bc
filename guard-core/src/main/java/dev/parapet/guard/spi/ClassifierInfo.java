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
 * @param languages the languages it was trained to judge, as lowercase ISO 639-1 codes ({@code "en"}); empty
 *     when it does not declare any (multilingual or unknown: no language check is made). The {@code Guard} notes
 *     {@link dev.parapet.guard.Note.Kind#LANGUAGE_UNSUPPORTED} when a classifier that declares languages judges
 *     text in none of them.
 */
public record ClassifierInfo(String id, Taxonomy taxonomy, Set<Capability> capabilities, int maxInputTokens,
    String device, Set<String> languages) {
  public ClassifierInfo {
    requireNonNull(id, "id");
    languages = Set.copyOf(requireNonNull(languages, "languages"));
    for (String l : languages) {
      if (!l.matches("[a-z]{2,3}")) {
        throw new IllegalArgumentException("language must be a lowercase ISO 639 code such as \"en\", was \""
            + l + "\"");
      }
    }
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

  /** A classifier that declares no languages (multilingual or unknown). */
  public ClassifierInfo(
      String id, Taxonomy taxonomy, Set<Capability> capabilities, int maxInputTokens, String device) {
    this(id, taxonomy, capabilities, maxInputTokens, device, Set.of());
  }

  /** A copy that declares these languages ({@code Set.of()}: none, no language check). */
  public ClassifierInfo withLanguages(Set<String> langs) {
    return new ClassifierInfo(id, taxonomy, capabilities, maxInputTokens, device, langs);
  }

  public boolean supports(Capability c) {
    return capabilities.contains(c);
  }

  /** Convenience for implementations. */
  public static Set<Capability> capabilities(Capability first, Capability... rest) {
    return EnumSet.of(first, rest);
  }
}
