package dev.parapet.guard.spark;

import dev.parapet.guard.onnx.decoder.CategoryMode;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.RemoteGuardClassifier;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code remote:URL?model=NAME&tokenizer=DIR[&family=F][&token-file=FILE][&category-mode=M][&max-context=N]}: a
 * guard model served by vLLM ({@link RemoteGuardClassifier}), described in one string so that it travels in the
 * spec and keys the executor's Guard like every other model.
 *
 * <p>The query holds Parapet's settings and is not sent to the server: {@code model} is vLLM's served model name,
 * {@code tokenizer} a folder with the served model's {@code tokenizer.json} (and optionally
 * {@code parapet-model.json}) present on every executor, since prompts are tokenized on the executor. The API key
 * is never part of the string (it would show in the Spark UI and the logs): {@code token-file} names a file on
 * every executor that holds it.
 */
record RemoteModel(String baseUrl, String servedModel, String tokenizerDir, String family, String tokenFile,
    String categoryMode, int maxContextTokens) {
  private static final Set<String> KEYS = Set.of("model", "tokenizer", "family", "token-file", "category-mode",
      "max-context");
  static final String FORM = "remote:http://host:8000?model=SERVED_NAME&tokenizer=DIR"
      + "[&family=F][&token-file=FILE][&category-mode=teacher_forced|none|exact][&max-context=N]";

  /**
   * Parses and checks the form (not the executor's files).
   *
   * @param spec the text after {@code remote:}
   * @throws IllegalArgumentException naming what is missing or wrong, with the expected form
   */
  static RemoteModel parse(String spec) {
    String s = spec.strip();
    int q = s.indexOf('?');
    String base = q < 0 ? s : s.substring(0, q);
    Map<String, String> params = q < 0 ? Map.of() : query(s.substring(q + 1), spec);
    if (base.isEmpty()) {
      throw bad(spec, "no server URL");
    }
    try {
      RemoteGuardClassifier.builder().baseUrl(base); // checks the URL the way the classifier will use it
    } catch (IllegalArgumentException e) {
      throw bad(spec, e.getMessage());
    }
    String model = params.get("model");
    String tokenizer = params.get("tokenizer");
    if (model == null || tokenizer == null) {
      throw bad(spec, "model=SERVED_NAME and tokenizer=DIR are required");
    }
    String family = params.get("family");
    if (family != null) {
      try {
        GuardFamily.parse(family);
      } catch (IllegalArgumentException e) {
        throw bad(spec, "family: " + e.getMessage());
      }
    }
    String mode = params.get("category-mode");
    if (mode != null) {
      categoryMode(mode, spec);
    }
    int maxContext = 0;
    if (params.containsKey("max-context")) {
      try {
        maxContext = Integer.parseInt(params.get("max-context"));
      } catch (NumberFormatException e) {
        throw bad(spec, "max-context must be a whole number, was '" + params.get("max-context") + "'");
      }
      try {
        RemoteGuardClassifier.builder().maxContextTokens(maxContext);
      } catch (IllegalArgumentException e) {
        throw bad(spec, e.getMessage());
      }
    }
    return new RemoteModel(base, model, tokenizer, family, params.get("token-file"), mode, maxContext);
  }

  /** Builds the classifier (on the executor; reads the tokenizer folder and the token file there). */
  RemoteGuardClassifier load() {
    RemoteGuardClassifier.Builder b = RemoteGuardClassifier.builder().baseUrl(baseUrl).model(servedModel)
        .tokenizerDir(Path.of(tokenizerDir));
    if (family != null) {
      b.family(GuardFamily.parse(family));
    }
    if (categoryMode != null) {
      b.categoryMode(categoryMode(categoryMode, baseUrl));
    }
    if (maxContextTokens > 0) {
      b.maxContextTokens(maxContextTokens);
    }
    if (tokenFile != null) {
      apiKeyFile(b, Path.of(tokenFile));
    }
    return b.build();
  }

  /** Reads the key with guard-remote's reader; the messages say it is this executor's file that failed. */
  private static void apiKeyFile(RemoteGuardClassifier.Builder b, Path file) {
    try {
      b.apiKeyFile(file);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IllegalArgumentException("remote model token-file " + file + ": cannot read it on this executor ("
            + io.getMessage() + "); put the server's API key in a file present on every executor", e);
      }
      throw new IllegalArgumentException("remote model token-file " + e.getMessage(), e);
    }
  }

  private static CategoryMode categoryMode(String v, String spec) {
    try {
      return CategoryMode.valueOf(v.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw bad(spec, "category-mode must be teacher_forced, none or exact, was '" + v + "'");
    }
  }

  private static Map<String, String> query(String query, String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8).strip();
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8).strip();
      if (!KEYS.contains(k)) {
        throw bad(spec, "unknown setting '" + k + "' (known: model, tokenizer, family, token-file, category-mode, "
            + "max-context)");
      }
      if (v.isEmpty()) {
        throw bad(spec, k + " has no value");
      }
      if (m.put(k, v) != null) {
        throw bad(spec, k + " is given twice");
      }
    }
    return m;
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException("model 'remote:" + spec.strip() + "': " + why + "; the form is " + FORM);
  }

  /** Never prints a token (there is none in the string), only where the token file is. */
  @Override
  public String toString() {
    return "remote:" + baseUrl + " (" + servedModel + ")";
  }
}
