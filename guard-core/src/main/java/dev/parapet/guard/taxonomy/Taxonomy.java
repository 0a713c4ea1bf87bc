package dev.parapet.guard.taxonomy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An ordered set of hazard {@link Category categories}. Immutable and thread-safe.
 *
 * <p>Presets are in {@link Taxonomies}; your own come from {@link #builder(String)} or JSON:
 *
 * <pre>{@code
 * {"name": "my-policy",
 *  "categories": [{"code": "X1", "name": "Competitor talk", "description": "...", "examples": ["..."]}]}
 * }</pre>
 *
 * <p>{@link #hash()} is a stable content hash over names, codes, descriptions, examples and order; caches and
 * KV-prefix caches key on it, so two taxonomies with the same content share cached results.
 */
public final class Taxonomy {
  private final String name;
  private final List<Category> categories;
  private final Map<String, Category> byCode;
  private final String hash;

  private Taxonomy(String name, List<Category> categories) {
    if (name.isBlank()) {
      throw new IllegalArgumentException("taxonomy name must not be empty");
    }
    this.name = name;
    this.categories = List.copyOf(categories);
    Map<String, Category> map = new LinkedHashMap<>();
    for (Category c : this.categories) {
      if (map.put(c.code(), c) != null) {
        throw new IllegalArgumentException("taxonomy " + name + ": duplicate category code " + c.code());
      }
    }
    for (Category c : this.categories) {
      for (String alias : c.aliases()) {
        Category other = map.get(alias);
        if (other != null && other != c) {
          throw new IllegalArgumentException(
              "taxonomy " + name + ": alias " + alias + " of " + c.code() + " collides with a code");
        }
      }
    }
    this.byCode = map;
    this.hash = computeHash();
  }

  /** A taxonomy from categories, in order. */
  public static Taxonomy of(String name, List<Category> categories) {
    requireNonNull(name, "name");
    requireNonNull(categories, "categories");
    return new Taxonomy(name, categories);
  }

  public static Builder builder(String name) {
    return new Builder(requireNonNull(name, "name"));
  }

  public String name() {
    return name;
  }

  public List<Category> categories() {
    return categories;
  }

  /** The category codes, in order. */
  public List<String> codes() {
    return List.copyOf(byCode.keySet());
  }

  public int size() {
    return categories.size();
  }

  public boolean contains(String code) {
    return byCode.containsKey(requireNonNull(code, "code"));
  }

  /** The category with this code or alias. */
  public Optional<Category> category(String codeOrAlias) {
    requireNonNull(codeOrAlias, "codeOrAlias");
    Category c = byCode.get(codeOrAlias);
    if (c != null) {
      return Optional.of(c);
    }
    for (Category cat : categories) {
      if (cat.aliases().contains(codeOrAlias)) {
        return Optional.of(cat);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns a copy without these categories (Llama Guard's excluded categories).
   *
   * @throws IllegalArgumentException naming a code this taxonomy does not have
   */
  public Taxonomy without(String... codes) {
    requireNonNull(codes, "codes");
    Set<String> drop = new LinkedHashSet<>(Arrays.asList(codes));
    for (String code : drop) {
      if (!byCode.containsKey(requireNonNull(code, "code"))) {
        throw new IllegalArgumentException("taxonomy " + name + " has no category " + code + "; it has " + codes());
      }
    }
    if (drop.isEmpty()) {
      return this;
    }
    List<Category> kept = new ArrayList<>();
    for (Category c : categories) {
      if (!drop.contains(c.code())) {
        kept.add(c);
      }
    }
    return new Taxonomy(name, kept);
  }

  /** Returns a copy with this category added at the end, or replacing the category with the same code. */
  public Taxonomy with(Category category) {
    requireNonNull(category, "category");
    List<Category> copy = new ArrayList<>(categories.size() + 1);
    boolean replaced = false;
    for (Category c : categories) {
      if (c.code().equals(category.code())) {
        copy.add(category);
        replaced = true;
      } else {
        copy.add(c);
      }
    }
    if (!replaced) {
      copy.add(category);
    }
    return new Taxonomy(name, copy);
  }

  /** Stable content hash (first 16 hex digits of SHA-256 over the canonical JSON form). */
  public String hash() {
    return hash;
  }

  /** The JSON form, which {@link #fromJson(String)} reads back to an equal taxonomy. */
  public String toJson() {
    return TaxonomyJson.write(this);
  }

  /**
   * Reads a taxonomy from JSON.
   *
   * @throws IllegalArgumentException for malformed JSON or content, naming the line, column and key
   */
  public static Taxonomy fromJson(String json) {
    requireNonNull(json, "json");
    return TaxonomyJson.read(json, "<string>");
  }

  /** Reads a taxonomy from a JSON file. */
  public static Taxonomy fromJson(Path file) {
    requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read taxonomy file " + file + ": " + e.getMessage(), e);
    }
    return TaxonomyJson.read(text, file.toString());
  }

  /** Reads a taxonomy from a UTF-8 JSON stream; does not close it. */
  public static Taxonomy fromJson(InputStream in) {
    requireNonNull(in, "in");
    try {
      return TaxonomyJson.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), "<stream>");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read taxonomy stream: " + e.getMessage(), e);
    }
  }

  private String computeHash() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(TaxonomyJson.canonicalBytes(this));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot hash taxonomy", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Taxonomy t && t.name.equals(name) && t.categories.equals(categories);
  }

  @Override
  public int hashCode() {
    return hash.hashCode();
  }

  @Override
  public String toString() {
    return "Taxonomy[" + name + ", " + codes() + ", hash=" + hash + "]";
  }

  /** Builds a taxonomy category by category. Not thread-safe; reusable. */
  public static final class Builder {
    private final String name;
    private final List<Category> categories = new ArrayList<>();

    private Builder(String name) {
      this.name = name;
    }

    public Builder add(Category category) {
      categories.add(requireNonNull(category, "category"));
      return this;
    }

    public Builder add(String code, String name, String description) {
      return add(Category.of(code, name, description));
    }

    public Taxonomy build() {
      return new Taxonomy(name, categories);
    }
  }
}
