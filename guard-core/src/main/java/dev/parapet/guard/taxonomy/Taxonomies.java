package dev.parapet.guard.taxonomy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Built-in taxonomy presets. Each call parses a bundled JSON resource and returns an immutable taxonomy, so
 * there is no shared mutable state and every method is thread-safe; cache the result if you call it in a hot
 * loop.
 */
public final class Taxonomies {
  private Taxonomies() {}

  /**
   * Llama Guard 3 8B: S1-S14 (the MLCommons hazards plus Code Interpreter Abuse), with the names and policy
   * texts of Meta's official prompt template.
   */
  public static Taxonomy llamaGuard3() {
    return load("llama-guard-3.json");
  }

  /** Llama Guard 3 1B's default list: S1-S13 (no Code Interpreter Abuse). */
  public static Taxonomy llamaGuard3OneB() {
    return load("llama-guard-3-1b.json");
  }

  /** NVIDIA Aegis 2.0 / Nemotron Safety Guard: S1-S23 (12 core hazards, 2 special labels, 9 fine-grained). */
  public static Taxonomy aegis2() {
    return load("aegis-2.0.json");
  }

  /**
   * MLCommons AILuminate v1.0 hazards mapped onto Llama Guard 3's S-codes: the AILuminate hazard uids
   * ({@code vcr}, {@code spc_fin}, ...) are aliases, so {@code category("vcr")} finds S1.
   */
  public static Taxonomy ailuminate() {
    return load("ailuminate-1.0.json");
  }

  /**
   * A preset by name: {@code llama-guard-3}, {@code llama-guard-3-1b}, {@code aegis-2.0}, {@code ailuminate-1.0}.
   *
   * @throws IllegalArgumentException listing the known names
   */
  public static Taxonomy named(String name) {
    switch (java.util.Objects.requireNonNull(name, "name")) {
      case "llama-guard-3":
        return llamaGuard3();
      case "llama-guard-3-1b":
        return llamaGuard3OneB();
      case "aegis-2.0":
        return aegis2();
      case "ailuminate-1.0":
        return ailuminate();
      default:
        throw new IllegalArgumentException("unknown taxonomy preset '" + name
            + "'; known: llama-guard-3, llama-guard-3-1b, aegis-2.0, ailuminate-1.0 (or load your own with Taxonomy.fromJson)");
    }
  }

  private static Taxonomy load(String resource) {
    try (InputStream in = Taxonomies.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("taxonomy preset resource missing from the jar: " + resource);
      }
      return Taxonomy.fromJson(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
