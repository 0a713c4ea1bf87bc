package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.List;
import java.util.Optional;

/**
 * The encoder-specific keys of {@code parapet-model.json}, checked. Immutable.
 *
 * <p>Required: {@code family = "parapet-encoder"}, {@code labels} ({@code "unsafe"} first, then category codes
 * of the model's taxonomy), {@code maxTokens}, {@code files} listing {@code model.onnx} and
 * {@code tokenizer.json}. Optional: {@code name} (default {@code parapet-encoder}), {@code taxonomy} (must be
 * {@code llama-guard-3} when present), {@code promptTokensInResponse} (default {@code maxTokens / 3}),
 * {@code calibration} (per label {@code {a, b}}, default identity), {@code customCategory}
 * ({@code {c0, tau}}: fixed custom-category calibration; absent: calibrated per category, see
 * {@link Prototypes}),
 * {@code categoryProbabilities} ({@code "conditional"}, the default: the category heads were trained on unsafe
 * examples only and estimate P(category | unsafe); or {@code "joint"}: they estimate P(unsafe and category)).
 * Other keys are informational and ignored.
 */
final class EncoderConfig {
  static final String FAMILY = "parapet-encoder";
  static final String MODEL_FILE = "model.onnx";
  static final String TOKENIZER_FILE = "tokenizer.json";

  final String name;
  final List<String> labels;
  final int maxTokens;
  final int promptTokensInResponse;
  /** Per label: {a, b} so that p = sigmoid(a * logit + b). */
  final double[] calA;
  final double[] calB;
  /** Fixed custom-category calibration from the manifest, or NaN: calibrate per category. */
  final double customC0;
  final double customTau;
  final String modelSha256;
  /** SHA-256 of the manifest's content ({@code ModelManifest.contentSha256()}), the classifier id's hash. */
  final String manifestSha256;
  /** Category heads estimate P(category | unsafe) (multiply by P(unsafe) for the joint score). */
  final boolean conditionalCategories;

  private EncoderConfig(String name, List<String> labels, int maxTokens, int promptTokensInResponse,
      double[] calA, double[] calB, double customC0, double customTau, String modelSha256,
      String manifestSha256, boolean conditionalCategories) {
    this.name = name;
    this.labels = List.copyOf(labels);
    this.maxTokens = maxTokens;
    this.promptTokensInResponse = promptTokensInResponse;
    this.calA = calA;
    this.calB = calB;
    this.customC0 = customC0;
    this.customTau = customTau;
    this.modelSha256 = modelSha256;
    this.manifestSha256 = manifestSha256;
    this.conditionalCategories = conditionalCategories;
  }

  static EncoderConfig from(ModelManifest manifest, Taxonomy nativeTaxonomy) {
    String src = manifest.source();
    if (!FAMILY.equals(manifest.family())) {
      throw new ModelLoadException(src + ": family is \"" + manifest.family() + "\", but the encoder classifier"
          + " reads \"" + FAMILY + "\" models; load decoder guards with the decoder classifier instead");
    }
    for (String f : List.of(MODEL_FILE, TOKENIZER_FILE)) {
      if (!manifest.files().containsKey(f)) {
        throw new ModelLoadException(src + ": \"files\" does not list " + f + " (listed: "
            + manifest.files().keySet() + "); every model file must be listed with its sha256 so it can be"
            + " verified. Regenerate the manifest");
      }
    }
    Optional<String> tax = manifest.taxonomy();
    if (tax.isPresent() && !"llama-guard-3".equals(tax.get())) {
      throw new ModelLoadException(src + ": taxonomy is \"" + tax.get() + "\"; this classifier maps the"
          + " model's labels onto the llama-guard-3 taxonomy and reads only such models");
    }
    String name = manifest.name().filter(n -> !n.isBlank()).orElse(FAMILY);
    List<String> labels = manifest.labels().orElse(List.of());
    if (labels.isEmpty()) {
      throw new ModelLoadException(src + ": missing \"labels\" array (\"unsafe\" followed by category codes"
          + " such as \"S1\")");
    }
    if (!labels.get(0).equals("unsafe")) {
      throw new ModelLoadException(src + ": labels[0] must be \"unsafe\", was \"" + labels.get(0) + "\"");
    }
    for (int i = 1; i < labels.size(); i++) {
      String code = labels.get(i);
      if (!nativeTaxonomy.contains(code)) {
        throw new ModelLoadException(src + ": label \"" + code + "\" is not a category of the "
            + nativeTaxonomy.name() + " taxonomy " + nativeTaxonomy.codes() + "; the labels do not match the"
            + " taxonomy this classifier reports");
      }
      if (labels.indexOf(code) != i) {
        throw new ModelLoadException(src + ": label \"" + code + "\" appears twice");
      }
    }
    int maxTokens = manifest.maxTokens().orElseThrow(
        () -> new ModelLoadException(src + ": missing \"maxTokens\" (an integer)"));
    if (maxTokens < 8 || maxTokens > 8192) {
      throw new ModelLoadException(src + ": \"maxTokens\" must be an integer in [8, 8192], was " + maxTokens);
    }
    int promptTokens = manifest.promptTokensInResponse().orElse(maxTokens / 3);
    if (promptTokens < 1 || promptTokens > maxTokens - 4) {
      throw new ModelLoadException(src + ": \"promptTokensInResponse\" must be in [1, maxTokens - 4 = "
          + (maxTokens - 4) + "], was " + promptTokens);
    }
    double[] a = new double[labels.size()];
    double[] b = new double[labels.size()];
    for (int i = 0; i < labels.size(); i++) {
      Optional<ModelManifest.Calibration> c = manifest.calibration(labels.get(i));
      a[i] = c.map(ModelManifest.Calibration::a).orElse(1.0);
      b[i] = c.map(ModelManifest.Calibration::b).orElse(0.0);
      if (!Double.isFinite(a[i]) || !Double.isFinite(b[i]) || a[i] <= 0) {
        throw new ModelLoadException(src + ": calibration." + labels.get(i) + " needs a finite a > 0 and a finite"
            + " b, was " + c.map(ModelManifest.Calibration::text).orElse(""));
      }
    }
    Optional<ModelManifest.CustomCategory> custom = manifest.customCategory();
    double c0 = custom.map(ModelManifest.CustomCategory::c0).orElse(Double.NaN);
    double tau = custom.map(ModelManifest.CustomCategory::tau).orElse(Double.NaN);
    if (custom.isPresent() && !(c0 > -1 && c0 < 1 && tau > 0 && tau < 10)) {
      throw new ModelLoadException(src + ": customCategory needs c0 in (-1, 1) and tau in (0, 10), was "
          + custom.get().text());
    }
    String catProb = manifest.categoryProbabilities().orElse("conditional");
    if (!catProb.equals("conditional") && !catProb.equals("joint")) {
      throw new ModelLoadException(src + ": \"categoryProbabilities\" must be \"conditional\" or \"joint\", was \""
          + catProb + "\"");
    }
    return new EncoderConfig(name, labels, maxTokens, promptTokens, a, b, c0, tau,
        manifest.files().get(MODEL_FILE).sha256(), manifest.contentSha256(), catProb.equals("conditional"));
  }

  /** Calibrated probability of label {@code i} from its raw logit. */
  double probability(int i, float logit) {
    return sigmoid(calA[i] * logit + calB[i]);
  }

  static double sigmoid(double x) {
    if (x >= 0) {
      return 1.0 / (1.0 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1.0 + e);
  }
}
