package dev.parapet.guard.onnx.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.util.ArrayList;
import java.util.List;

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
    JsonNode json = manifest.json();
    JsonNode tax = json.get("taxonomy");
    if (tax != null && !"llama-guard-3".equals(tax.asText())) {
      throw new ModelLoadException(src + ": taxonomy is \"" + tax.asText() + "\"; this classifier maps the"
          + " model's labels onto the llama-guard-3 taxonomy and reads only such models");
    }
    String name = json.path("name").asText(FAMILY);
    if (name.isBlank()) {
      name = FAMILY;
    }
    JsonNode labelsNode = json.get("labels");
    if (labelsNode == null || !labelsNode.isArray() || labelsNode.isEmpty()) {
      throw new ModelLoadException(src + ": missing \"labels\" array (\"unsafe\" followed by category codes"
          + " such as \"S1\")");
    }
    List<String> labels = new ArrayList<>();
    for (JsonNode l : labelsNode) {
      labels.add(l.asText());
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
    int maxTokens = intKey(json, "maxTokens", -1, src);
    if (maxTokens < 8 || maxTokens > 8192) {
      throw new ModelLoadException(src + ": \"maxTokens\" must be an integer in [8, 8192], was "
          + json.get("maxTokens"));
    }
    int promptTokens = intKey(json, "promptTokensInResponse", maxTokens / 3, src);
    if (promptTokens < 1 || promptTokens > maxTokens - 4) {
      throw new ModelLoadException(src + ": \"promptTokensInResponse\" must be in [1, maxTokens - 4 = "
          + (maxTokens - 4) + "], was " + promptTokens);
    }
    double[] a = new double[labels.size()];
    double[] b = new double[labels.size()];
    JsonNode cal = json.path("calibration");
    for (int i = 0; i < labels.size(); i++) {
      JsonNode c = cal.path(labels.get(i));
      a[i] = c.path("a").isNumber() ? c.path("a").asDouble() : 1.0;
      b[i] = c.path("b").isNumber() ? c.path("b").asDouble() : 0.0;
      if (!Double.isFinite(a[i]) || !Double.isFinite(b[i]) || a[i] <= 0) {
        throw new ModelLoadException(src + ": calibration." + labels.get(i) + " needs a finite a > 0 and a finite"
            + " b, was " + c);
      }
    }
    JsonNode custom = json.path("customCategory");
    double c0 = Double.NaN;
    double tau = Double.NaN;
    if (!custom.isMissingNode()) {
      c0 = custom.path("c0").isNumber() ? custom.path("c0").asDouble() : Double.NaN;
      tau = custom.path("tau").isNumber() ? custom.path("tau").asDouble() : Double.NaN;
    }
    if (!custom.isMissingNode() && !(c0 > -1 && c0 < 1 && tau > 0 && tau < 10)) {
      throw new ModelLoadException(src + ": customCategory needs c0 in (-1, 1) and tau in (0, 10), was " + custom);
    }
    String catProb = json.path("categoryProbabilities").asText("conditional");
    if (!catProb.equals("conditional") && !catProb.equals("joint")) {
      throw new ModelLoadException(src + ": \"categoryProbabilities\" must be \"conditional\" or \"joint\", was \""
          + catProb + "\"");
    }
    return new EncoderConfig(name, labels, maxTokens, promptTokens, a, b, c0, tau,
        manifest.files().get(MODEL_FILE).sha256(), manifest.contentSha256(), catProb.equals("conditional"));
  }

  private static int intKey(JsonNode json, String key, int dflt, String src) {
    JsonNode n = json.get(key);
    if (n == null) {
      if (dflt < 0) {
        throw new ModelLoadException(src + ": missing \"" + key + "\" (an integer)");
      }
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new ModelLoadException(src + ": \"" + key + "\" must be an integer, was " + n);
    }
    return n.intValue();
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
