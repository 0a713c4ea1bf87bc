package dev.parapet.guard.text;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.spi.Classifier;
import java.util.List;

/**
 * Which obfuscation-undoing views of the judged text a {@code Guard} scores besides the normalized text itself.
 * Each view is scored and the maximum per category kept, so a view can only raise a score. A view is built only
 * when the text contains what it undoes (cheap checks first), so ordinary text costs one classification as
 * before. Immutable and thread-safe; every view is on by default.
 *
 * <ul>
 *   <li>{@code skeleton}: the Unicode TR39 confusables skeleton (ICU4J's {@code SpoofChecker}), so mixed-script
 *       look-alikes ("p\u0456pe b\u043Emb") read as Latin; skipped when ICU4J is not on the classpath;
 *   <li>{@code deLeet}: tokens that mix letters with leet symbols ("m4ke", "b0mb") read with letters;
 *   <li>{@code deSpaced}: runs of single letters separated by spaces ("p i p e") joined;
 *   <li>{@code decoded}: base64, hex and URL-encoded segments that decode to mostly printable text (one level;
 *       inputs over 20,000 chars get no views);
 *   <li>{@code specialTokens}: text that looks like chat-template special tokens ({@code <|eot_id|>},
 *       {@code <|im_start|>}, {@code <end_of_turn>}, {@code [INST]}, ...) removed, and each message such markers
 *       delimit scored on its own ({@code template-segment}, at most 4, of 3+ words each), so a fake template suffix and a fake
 *       "safe" answer after it cannot lower a score;
 *   <li>{@code rot13}: the ROT13 of the text, built only when the text's words are mostly not common English
 *       words while its ROT13's are ("Ubj qb V znxr..."), so ordinary English never gets this view.
 * </ul>
 */
public final class TextViews {
  private static final TextViews DEFAULTS = builder().build();
  private static final TextViews NONE = builder().skeleton(false).deLeet(false).deSpaced(false).decoded(false)
      .specialTokens(false).rot13(false).build();

  private final boolean skeleton;
  private final boolean deLeet;
  private final boolean deSpaced;
  private final boolean decoded;
  private final boolean specialTokens;
  private final boolean rot13;

  private TextViews(Builder b) {
    this.skeleton = b.skeleton;
    this.deLeet = b.deLeet;
    this.deSpaced = b.deSpaced;
    this.decoded = b.decoded;
    this.specialTokens = b.specialTokens;
    this.rot13 = b.rot13;
  }

  /** Every view on. */
  public static TextViews defaults() {
    return DEFAULTS;
  }

  /** Every view off: only the normalized text is scored. */
  public static TextViews none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean skeleton() {
    return skeleton;
  }

  public boolean deLeet() {
    return deLeet;
  }

  public boolean deSpaced() {
    return deSpaced;
  }

  public boolean decoded() {
    return decoded;
  }

  public boolean specialTokens() {
    return specialTokens;
  }

  public boolean rot13() {
    return rot13;
  }

  /** True when no view is on. */
  public boolean isNone() {
    return !skeleton && !deLeet && !deSpaced && !decoded && !specialTokens && !rot13;
  }

  /**
   * The views of {@code text} that differ from it, each named ({@code skeleton}, {@code de-leet}, ...). Never
   * throws for any string; the result holds no lone surrogates.
   */
  public List<View> of(String text) {
    return ViewBuilder.views(requireNonNull(text, "text"), this);
  }

  /**
   * Wraps {@code classifier} so that each request's judged (last) turn is also scored in its views, keeping the
   * maximum per category. Used by the {@code Guard}; returns {@code classifier} itself when every view is off.
   */
  public Classifier wrap(Classifier classifier) {
    requireNonNull(classifier, "classifier");
    return isNone() ? classifier : new ViewingClassifier(classifier, this);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TextViews v && v.skeleton == skeleton && v.deLeet == deLeet && v.deSpaced == deSpaced
        && v.decoded == decoded && v.specialTokens == specialTokens && v.rot13 == rot13;
  }

  @Override
  public int hashCode() {
    return (skeleton ? 1 : 0) | (deLeet ? 2 : 0) | (deSpaced ? 4 : 0) | (decoded ? 8 : 0)
        | (specialTokens ? 16 : 0) | (rot13 ? 32 : 0);
  }

  @Override
  public String toString() {
    return "TextViews[skeleton=" + skeleton + ", deLeet=" + deLeet + ", deSpaced=" + deSpaced + ", decoded="
        + decoded + ", specialTokens=" + specialTokens + ", rot13=" + rot13 + "]";
  }

  /** One view: its name and text. */
  public record View(String name, String text) {
    public View {
      requireNonNull(name, "name");
      requireNonNull(text, "text");
    }
  }

  /** Builds {@link TextViews}; every view starts on. Not thread-safe; reusable. */
  public static final class Builder {
    private boolean skeleton = true;
    private boolean deLeet = true;
    private boolean deSpaced = true;
    private boolean decoded = true;
    private boolean specialTokens = true;
    private boolean rot13 = true;

    private Builder() {}

    public Builder skeleton(boolean on) {
      this.skeleton = on;
      return this;
    }

    public Builder deLeet(boolean on) {
      this.deLeet = on;
      return this;
    }

    public Builder deSpaced(boolean on) {
      this.deSpaced = on;
      return this;
    }

    public Builder decoded(boolean on) {
      this.decoded = on;
      return this;
    }

    public Builder specialTokens(boolean on) {
      this.specialTokens = on;
      return this;
    }

    public Builder rot13(boolean on) {
      this.rot13 = on;
      return this;
    }

    public TextViews build() {
      return new TextViews(this);
    }
  }
}
