package dev.parapet.guard.taxonomy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One hazard category of a {@link Taxonomy}. Immutable and thread-safe.
 *
 * @param code short stable identifier such as {@code S1}; letters, digits, '_' and '-', starting with a letter
 * @param name human-readable name, as a guard model's prompt shows it ("Violent Crimes")
 * @param description the policy text; may be empty
 * @param examples optional example texts that belong to the category (used by models that learn categories
 *     from examples, such as the embedded default's custom categories)
 * @param aliases other identifiers that mean this category (for example AILuminate's {@code vcr})
 */
public record Category(String code, String name, String description, List<String> examples, List<String> aliases) {
  static final Pattern CODE = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,31}");

  public Category {
    requireNonNull(code, "code");
    requireNonNull(name, "name");
    requireNonNull(description, "description");
    examples = List.copyOf(requireNonNull(examples, "examples"));
    aliases = List.copyOf(requireNonNull(aliases, "aliases"));
    if (!CODE.matcher(code).matches()) {
      throw new IllegalArgumentException(
          "category code must be 1-32 letters, digits, '_' or '-', starting with a letter: '" + code + "'");
    }
    if (name.isBlank()) {
      throw new IllegalArgumentException("category " + code + ": name must not be empty");
    }
    for (String e : examples) {
      if (e.isBlank()) {
        throw new IllegalArgumentException("category " + code + ": examples must not be empty strings");
      }
    }
    for (String a : aliases) {
      if (!CODE.matcher(a).matches()) {
        throw new IllegalArgumentException("category " + code + ": alias '" + a + "' is not a valid code");
      }
    }
  }

  /** A category with a code, name and description, no examples or aliases. */
  public static Category of(String code, String name, String description) {
    return new Category(code, name, description, List.of(), List.of());
  }

  /** Returns a copy with these examples. */
  public Category withExamples(List<String> newExamples) {
    return new Category(code, name, description, newExamples, aliases);
  }
}
