package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * How one request taxonomy maps onto the model: for each category, whether the model scores it natively (one of
 * its labels), by prototype similarity (a custom category with examples), or not at all. Immutable once built;
 * built once per taxonomy and cached by {@link Taxonomy#hash()}.
 *
 * <p><b>Native categories.</b> A request category is native when its code is one of the model's labels
 * ({@code S1..S14}) <em>and</em> it still names the same hazard: every word of the Llama Guard 3 name appears
 * in the request category's name (case-insensitive). So the {@code llama-guard-3}, {@code llama-guard-3-1b} and
 * {@code ailuminate-1.0} presets map one to one ("Sex Crimes" matches "Sex-Related Crimes"), while
 * {@code aegis-2.0}, which reuses S-codes for other hazards ({@code S1} "Violence", {@code S2} "Sexual"), does
 * not get Llama Guard 3's scores under the wrong codes. A category that fails the name check is treated like any
 * other non-native category.
 */
final class TaxonomyPlan {
  enum Kind {
    NATIVE,
    CUSTOM,
    UNSCORED
  }

  /** One request category and how it is scored. */
  record Entry(Category category, Kind kind, int label, Prototypes prototypes) {}

  final List<Entry> entries;
  /** Every model category label is enabled: P(unsafe) is reported as the model says. */
  final boolean allNative;
  /** Label indices (1-based into the model's labels) that are enabled. */
  final int[] enabledLabels;
  final boolean hasCustom;
  final List<String> unscored;

  private TaxonomyPlan(List<Entry> entries, int labelCount) {
    this.entries = List.copyOf(entries);
    List<Integer> enabled = new ArrayList<>();
    List<String> none = new ArrayList<>();
    boolean custom = false;
    for (Entry e : entries) {
      if (e.kind() == Kind.NATIVE) {
        enabled.add(e.label());
      } else if (e.kind() == Kind.CUSTOM) {
        custom = true;
      } else {
        none.add(e.category().code());
      }
    }
    this.enabledLabels = enabled.stream().mapToInt(Integer::intValue).distinct().toArray();
    this.allNative = enabledLabels.length == labelCount - 1;
    this.hasCustom = custom;
    this.unscored = List.copyOf(none);
  }

  /** Classifies the categories; {@code embed} learns custom categories from their examples. */
  static TaxonomyPlan build(Taxonomy request, Taxonomy nativeTaxonomy, List<String> labels,
      java.util.function.Function<List<String>, Prototypes> embed) {
    List<Entry> entries = new ArrayList<>();
    for (Category c : request.categories()) {
      int label = labels.indexOf(c.code());
      Optional<Category> nat = nativeTaxonomy.category(c.code());
      if (label > 0 && nat.isPresent() && sameHazard(nat.get().name(), c.name())) {
        entries.add(new Entry(c, Kind.NATIVE, label, null));
      } else if (!c.examples().isEmpty()) {
        entries.add(new Entry(c, Kind.CUSTOM, -1, embed.apply(c.examples())));
      } else {
        entries.add(new Entry(c, Kind.UNSCORED, -1, null));
      }
    }
    return new TaxonomyPlan(entries, labels.size());
  }

  /** Every word of the native name appears in the request name (case-insensitive, letters and digits). */
  static boolean sameHazard(String nativeName, String requestName) {
    Set<String> have = new HashSet<>(words(requestName));
    return have.containsAll(words(nativeName));
  }

  private static List<String> words(String s) {
    return Arrays.stream(s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")).filter(w -> !w.isEmpty()).toList();
  }
}
