package dev.parapet.guard.spi;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Note;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What a classifier says about one input. Immutable and thread-safe.
 *
 * <ul>
 *   <li>{@link #unsafe()}: P(unsafe), in [0, 1].
 *   <li>{@link #categories()}: per taxonomy code, the probability that the input is unsafe <em>in that
 *       category</em> (joint, not conditional: a decoder guard reports P(unsafe) x P(category | unsafe); a
 *       multi-label model its calibrated per-category probability). Empty when the classifier has no
 *       category scores. Ordered as the taxonomy.
 *   <li>{@link #notes()}: documented observations made while scoring, which the {@code Guard} copies into the
 *       verdict's notes: which text view raised a score ({@link Note.Kind#VIEW}, {@code "view: de-leet"}),
 *       {@link Note.Kind#LANGUAGE_UNSUPPORTED}, {@link Note.Kind#TOKEN_POOR}.
 *   <li>{@link #controversial()}: for three-level models (Qwen3Guard), P(controversial); P(safe) is then
 *       1 - unsafe - controversial.
 *   <li>{@link #truncation()}: present when the input was longer than the model reads at once.
 * </ul>
 */
public final class Scores {
  private final double unsafe;
  private final OptionalDouble controversial;
  private final Map<String, Double> categories;
  private final Optional<Truncation> truncation;
  private final List<Note> notes;

  private Scores(Builder b) {
    this.unsafe = b.unsafe;
    this.controversial = b.controversial;
    this.categories = Collections.unmodifiableMap(new LinkedHashMap<>(b.categories));
    this.truncation = b.truncation;
    this.notes = List.copyOf(b.notes);
  }

  /** Scores with only P(unsafe). */
  public static Scores of(double unsafe) {
    return builder().unsafe(unsafe).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public double unsafe() {
    return unsafe;
  }

  public OptionalDouble controversial() {
    return controversial;
  }

  /** Per-category scores, ordered as the taxonomy; unmodifiable. */
  public Map<String, Double> categories() {
    return categories;
  }

  public OptionalDouble category(String code) {
    Double v = categories.get(requireNonNull(code, "code"));
    return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  /** The code with the highest category score, if there are category scores. */
  public Optional<String> topCategory() {
    String best = null;
    double max = -1;
    for (Map.Entry<String, Double> e : categories.entrySet()) {
      if (e.getValue() > max) {
        max = e.getValue();
        best = e.getKey();
      }
    }
    return Optional.ofNullable(best);
  }

  public Optional<Truncation> truncation() {
    return truncation;
  }

  /** Observations made while scoring, copied into the verdict's notes; empty for most classifiers. */
  public List<Note> notes() {
    return notes;
  }

  /** True when a note is of {@code kind} (e.g. {@link Note.Kind#TOKEN_POOR}). */
  public boolean hasNote(Note.Kind kind) {
    requireNonNull(kind, "kind");
    for (Note n : notes) {
      if (n.kind() == kind) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the judged text was noted {@link Note.Kind#TOKEN_POOR}: the policy triggers nothing for it. (The policy
   * reads this, not the note, so that {@code policy} never depends on the root package, see
   * {@code PolicyDependencyTest}.)
   */
  public boolean tokenPoor() {
    return hasNote(Note.Kind.TOKEN_POOR);
  }

  /**
   * Whether the judged text was noted {@link Note.Kind#LANGUAGE_UNSUPPORTED}: the policy's
   * {@code unsupported-language} rule decides what that does.
   */
  public boolean languageUnsupported() {
    return hasNote(Note.Kind.LANGUAGE_UNSUPPORTED);
  }

  public Builder toBuilder() {
    Builder b = new Builder().unsafe(unsafe);
    b.controversial = controversial;
    b.categories.putAll(categories);
    b.truncation = truncation;
    b.notes.addAll(notes);
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Scores s && Double.compare(s.unsafe, unsafe) == 0
        && s.controversial.equals(controversial) && s.categories.equals(categories)
        && s.truncation.equals(truncation) && s.notes.equals(notes);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(unsafe) * 31 + categories.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Scores[unsafe=").append(String.format("%.3f", unsafe));
    controversial.ifPresent(c -> sb.append(", controversial=").append(String.format("%.3f", c)));
    if (!categories.isEmpty()) {
      sb.append(", categories={");
      boolean first = true;
      for (Map.Entry<String, Double> e : categories.entrySet()) {
        if (!first) {
          sb.append(", ");
        }
        first = false;
        sb.append(e.getKey()).append('=').append(String.format("%.3f", e.getValue()));
      }
      sb.append('}');
    }
    truncation.ifPresent(t -> sb.append(", truncation=").append(t));
    if (!notes.isEmpty()) {
      sb.append(", notes=").append(notes);
    }
    return sb.append(']').toString();
  }

  /** Builds {@link Scores}; each setter checks its value at once. Not thread-safe. */
  public static final class Builder {
    private double unsafe = Double.NaN;
    private OptionalDouble controversial = OptionalDouble.empty();
    private final Map<String, Double> categories = new LinkedHashMap<>();
    private Optional<Truncation> truncation = Optional.empty();
    private final List<Note> notes = new ArrayList<>();

    private Builder() {}

    /** Adds a note (kept once; order kept). */
    public Builder note(Note note) {
      requireNonNull(note, "note");
      if (!notes.contains(note)) {
        notes.add(note);
      }
      return this;
    }

    public Builder unsafe(double p) {
      this.unsafe = checkProbability("unsafe", p);
      return this;
    }

    public Builder controversial(double p) {
      this.controversial = OptionalDouble.of(checkProbability("controversial", p));
      return this;
    }

    public Builder category(String code, double p) {
      requireNonNull(code, "code");
      categories.put(code, checkProbability("category " + code, p));
      return this;
    }

    public Builder categories(Map<String, Double> scores) {
      requireNonNull(scores, "scores").forEach(this::category);
      return this;
    }

    public Builder truncation(Truncation t) {
      this.truncation = Optional.of(requireNonNull(t, "truncation"));
      return this;
    }

    public Scores build() {
      if (Double.isNaN(unsafe)) {
        throw new IllegalStateException("Scores need unsafe(p) to be set");
      }
      if (controversial.isPresent() && unsafe + controversial.getAsDouble() > 1 + 1e-6) {
        throw new IllegalStateException(
            "unsafe + controversial must be <= 1, got " + unsafe + " + " + controversial.getAsDouble());
      }
      return new Scores(this);
    }

    private static double checkProbability(String what, double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(what + " score must be a probability in [0, 1], was " + p);
      }
      return p;
    }
  }
}
