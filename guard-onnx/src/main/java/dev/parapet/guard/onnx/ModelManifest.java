package dev.parapet.guard.onnx;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads, writes and checks {@code parapet-model.json}: the manifest that sits next to an ONNX model and lists
 * the model family and every file with its SHA-256 and size. Immutable and thread-safe.
 *
 * <pre>{@code
 * {
 *   "formatVersion" : 1,
 *   "family" : "llama-guard-3",
 *   "taxonomy" : "llama-guard-3-1b",          <- family-specific keys, read through the typed accessors
 *   "files" : {
 *     "model.onnx" : { "sha256" : "9f86d0...", "bytes" : 1048576 },
 *     "tokenizer.json" : { "sha256" : "...", "bytes" : 9085657 }
 *   }
 * }
 * }</pre>
 *
 * <p>Write one for your own export with {@code ManifestTool init DIR --family NAME} (guard-cli's
 * {@code dev.parapet.guard.cli.ManifestTool}, or {@code parapet model init})
 * or {@link #create(Path, String, Map)}.
 */
public final class ModelManifest {
  /** The manifest file name inside a model folder. */
  public static final String FILE_NAME = "parapet-model.json";

  /** The only format version this code reads and writes. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /**
   * The key holding the SHA-256 of the manifest's own content (every other key, canonical JSON: keys sorted,
   * no whitespace). Calibration, labels and thresholds live in the manifest and no file checksum covers them:
   * without this seal, {@code calibration.unsafe = {a: 1e-6, b: -30}} turned a pipe bomb into ALLOW under the
   * same classifier id.
   */
  public static final String SEAL_KEY = "manifestSha256";

  private static final ObjectMapper CANONICAL = new ObjectMapper();
  private static final Set<String> RESERVED = Set.of("formatVersion", "family", "files", SEAL_KEY);

  /**
   * One listed file.
   *
   * @param sha256 lower-case hex SHA-256 of the file's bytes
   * @param bytes the file's size
   */
  public record FileEntry(String sha256, long bytes) {
    public FileEntry {
      requireNonNull(sha256, "sha256");
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits, was '" + sha256 + "'");
      }
      if (bytes < 0) {
        throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
      }
    }
  }

  private final String source;
  private final String family;
  private final int formatVersion;
  private final Map<String, FileEntry> files;
  private final ObjectNode json;
  private final String contentSha256;
  private final boolean sealed;

  private ModelManifest(String source, ObjectNode json) {
    this.source = source;
    this.json = json;
    this.contentSha256 = contentHash(json);
    JsonNode seal = json.get(SEAL_KEY);
    this.sealed = seal != null;
    if (seal != null && !contentSha256.equals(seal.asText())) {
      throw new ModelLoadException(source + ": the manifest was changed after it was sealed: \"" + SEAL_KEY
          + "\" is " + seal.asText() + " but its content hashes to " + contentSha256 + ". Calibration, labels"
          + " and thresholds live here, so an edit changes verdicts: restore the original file, or, if the edit is"
          + " intended, re-seal it with: java -cp parapet.jar dev.parapet.guard.cli.ManifestTool seal <dir>"
          + " (the classifier id changes with it)");
    }
    JsonNode version = json.get("formatVersion");
    if (version == null || !version.canConvertToInt() || !version.isIntegralNumber()) {
      throw new ModelLoadException(source + ": missing or non-integer \"formatVersion\"; this version of Parapet"
          + " reads formatVersion " + FORMAT_VERSION + ". Regenerate it with: ManifestTool init <dir> --family <name>");
    }
    this.formatVersion = version.intValue();
    if (formatVersion != FORMAT_VERSION) {
      throw new ModelLoadException(source + ": unknown formatVersion " + formatVersion + "; this version of"
          + " Parapet reads formatVersion " + FORMAT_VERSION + ". Upgrade Parapet or regenerate the manifest with"
          + " ManifestTool init <dir> --family <name>");
    }
    JsonNode fam = json.get("family");
    if (fam == null || !fam.isTextual() || fam.asText().isBlank()) {
      throw new ModelLoadException(source + ": missing \"family\" (for example \"llama-guard-3\")");
    }
    this.family = fam.asText();
    JsonNode filesNode = json.get("files");
    if (filesNode == null || !filesNode.isObject()) {
      throw new ModelLoadException(source + ": missing \"files\" object (file name -> {sha256, bytes})");
    }
    Map<String, FileEntry> map = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = filesNode.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      checkFileName(source, name);
      JsonNode sha = e.getValue().get("sha256");
      JsonNode bytes = e.getValue().get("bytes");
      if (sha == null || !sha.isTextual() || bytes == null || !bytes.isIntegralNumber()) {
        throw new ModelLoadException(source + ": files." + name + " needs \"sha256\" (hex string) and \"bytes\""
            + " (integer)");
      }
      try {
        map.put(name, new FileEntry(sha.asText(), bytes.longValue()));
      } catch (IllegalArgumentException ex) {
        throw new ModelLoadException(source + ": files." + name + ": " + ex.getMessage(), ex);
      }
    }
    this.files = Collections.unmodifiableMap(map);
  }

  private static void checkFileName(String source, String name) {
    if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
      throw new ModelLoadException(source + ": file name '" + name + "' must be a plain name inside the model"
          + " folder (no path separators)");
    }
  }

  /** Reads {@code dir/parapet-model.json}. */
  public static ModelManifest read(Path dir) {
    requireNonNull(dir, "dir");
    Path file = dir.resolve(FILE_NAME);
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    } catch (NoSuchFileException e) {
      throw new ModelLoadException(file + ": manifest not found. Create it after exporting the model with:"
          + " java -cp parapet.jar dev.parapet.guard.cli.ManifestTool init " + dir + " --family <family>", e);
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot read manifest: " + e.getMessage(), e);
    }
  }

  /**
   * Reads a manifest from a stream (not closed).
   *
   * @param source names the stream in error messages (a path or a classpath resource)
   */
  public static ModelManifest read(InputStream in, String source) {
    requireNonNull(in, "in");
    requireNonNull(source, "source");
    JsonNode node;
    try {
      node = MAPPER.readTree(in);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new ModelLoadException(source + ": malformed JSON" + where + ": " + e.getOriginalMessage()
          + ". Fix the file or regenerate it with ManifestTool init", e);
    } catch (IOException e) {
      throw new ModelLoadException(source + ": cannot read manifest: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new ModelLoadException(source + ": the manifest must be a JSON object, was "
          + (node == null ? "empty" : node.getNodeType()));
    }
    return new ModelManifest(source, (ObjectNode) node);
  }

  /**
   * Computes SHA-256 and size of every regular, non-hidden file directly in {@code dir} (model.onnx,
   * model.onnx_data, tokenizer.json, config.json, ...; not the manifest itself) and writes
   * {@code dir/parapet-model.json}, replacing any existing one.
   *
   * @param family the model family, e.g. {@code "llama-guard-3"}
   * @param extra family-specific keys written at the top level (e.g. {@code "taxonomy"}); values are anything
   *     Jackson can write. {@code formatVersion}, {@code family} and {@code files} are reserved.
   * @return the manifest written
   */
  public static ModelManifest create(Path dir, String family, Map<String, Object> extra) {
    requireNonNull(dir, "dir");
    requireNonNull(family, "family");
    requireNonNull(extra, "extra");
    if (family.isBlank()) {
      throw new IllegalArgumentException("family must not be blank");
    }
    for (String k : extra.keySet()) {
      if (RESERVED.contains(k)) {
        throw new IllegalArgumentException("extra key '" + k + "' is reserved; reserved keys are " + RESERVED);
      }
    }
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException(dir + ": not a directory; point at the folder of the exported model");
    }
    Map<String, FileEntry> entries = new TreeMap<>();
    List<Path> paths;
    try (Stream<Path> s = Files.list(dir)) {
      paths = s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> !p.getFileName().toString().equals(FILE_NAME))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new ModelLoadException(dir + ": cannot list files: " + e.getMessage(), e);
    }
    if (paths.isEmpty()) {
      throw new ModelLoadException(dir + ": no files to list; export the model into this folder first");
    }
    for (Path p : paths) {
      entries.put(p.getFileName().toString(), hash(p));
    }
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("formatVersion", FORMAT_VERSION);
    root.put("family", family);
    for (Map.Entry<String, Object> e : new TreeMap<>(extra).entrySet()) {
      root.set(e.getKey(), MAPPER.valueToTree(e.getValue()));
    }
    ObjectNode filesNode = root.putObject("files");
    entries.forEach((name, fe) -> {
      ObjectNode f = filesNode.putObject(name);
      f.put("sha256", fe.sha256());
      f.put("bytes", fe.bytes());
    });
    root.put(SEAL_KEY, contentHash(root));
    Path out = dir.resolve(FILE_NAME);
    try {
      Files.write(out, MAPPER.writeValueAsBytes(root));
    } catch (IOException e) {
      throw new ModelLoadException(out + ": cannot write manifest: " + e.getMessage(), e);
    }
    return new ModelManifest(out.toString(), root);
  }

  /**
   * Checks that the manifest is sealed ({@link #requireSealed()}) and that every listed file exists in {@code dir}
   * with the listed size and SHA-256. Reads every byte (a few seconds per GB).
   *
   * @throws ModelLoadException naming the first file that is missing or differs, the expected and actual
   *     values, and the fix
   */
  public void verify(Path dir) {
    requireNonNull(dir, "dir");
    requireSealed();
    for (Map.Entry<String, FileEntry> e : files.entrySet()) {
      Path p = dir.resolve(e.getKey());
      FileEntry want = e.getValue();
      if (!Files.isRegularFile(p)) {
        throw new ModelLoadException(p + ": missing; " + source + " lists it (sha256 " + want.sha256()
            + ", " + want.bytes() + " bytes). Copy the complete export into " + dir
            + ", or re-run ManifestTool init if the file is no longer part of the model");
      }
      long size;
      try {
        size = Files.size(p);
      } catch (IOException ex) {
        throw new ModelLoadException(p + ": cannot read size: " + ex.getMessage(), ex);
      }
      if (size != want.bytes()) {
        throw new ModelLoadException(p + ": size mismatch, expected " + want.bytes() + " bytes, actual " + size
            + " bytes. The file is truncated or was replaced: re-copy or re-export it, and re-run ManifestTool init"
            + " only if the change is intended");
      }
      FileEntry got = hash(p);
      if (!got.sha256().equals(want.sha256())) {
        throw new ModelLoadException(p + ": sha256 mismatch, expected " + want.sha256() + ", actual "
            + got.sha256() + ". The file is corrupt or was replaced: re-copy or re-export it, and re-run"
            + " ManifestTool init only if the change is intended");
      }
    }
  }

  /**
   * Checks that the manifest carries its own seal ({@value #SEAL_KEY}); a wrong seal is refused already when the
   * manifest is read.
   *
   * @throws ModelLoadException for a manifest without a seal, saying how to add one
   */
  public void requireSealed() {
    if (!sealed) {
      throw new ModelLoadException(source + ": not sealed: \"" + SEAL_KEY + "\" (the SHA-256 of the manifest's own"
          + " content, which holds calibration and labels) is missing. Re-create the manifest with ManifestTool"
          + " init, or seal the current one after checking it: java -cp parapet.jar"
          + " dev.parapet.guard.cli.ManifestTool seal <dir>");
    }
  }

  /**
   * Writes {@code dir/parapet-model.json} again with a fresh seal over its current content (after checking the
   * listed files). For a manifest edited on purpose; the classifier id changes with the seal.
   *
   * @return the sealed manifest
   */
  public static ModelManifest seal(Path dir) {
    requireNonNull(dir, "dir");
    Path file = dir.resolve(FILE_NAME);
    ObjectNode root;
    try {
      root = (ObjectNode) MAPPER.readTree(file.toFile());
    } catch (IOException | ClassCastException e) {
      throw new ModelLoadException(file + ": cannot read manifest to seal it: " + e.getMessage(), e);
    }
    root.remove(SEAL_KEY);
    root.put(SEAL_KEY, contentHash(root));
    ModelManifest m = new ModelManifest(file.toString(), root);
    m.verify(dir);
    try {
      Files.write(file, MAPPER.writeValueAsBytes(root));
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot write manifest: " + e.getMessage(), e);
    }
    return m;
  }

  /** SHA-256 of every key but the seal, as canonical JSON (keys sorted at every level, no whitespace). */
  static String contentHash(ObjectNode root) {
    ObjectNode copy = root.deepCopy();
    copy.remove(SEAL_KEY);
    try {
      return sha256Hex(CANONICAL.writeValueAsBytes(sorted(copy)));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode sorted(JsonNode n) {
    if (n.isObject()) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      new TreeMap<String, JsonNode>(toMap(n)).forEach((k, v) -> out.set(k, sorted(v)));
      return out;
    }
    if (n.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode out = JsonNodeFactory.instance.arrayNode();
      n.forEach(v -> out.add(sorted(v)));
      return out;
    }
    return n;
  }

  private static Map<String, JsonNode> toMap(JsonNode n) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }

  /** Checks bytes loaded from somewhere other than a folder (the classpath) against a manifest entry. */
  public static void verifyBytes(String fileName, byte[] data, FileEntry expected) {
    requireNonNull(fileName, "fileName");
    requireNonNull(data, "data");
    requireNonNull(expected, "expected");
    if (data.length != expected.bytes()) {
      throw new ModelLoadException(fileName + ": size mismatch, expected " + expected.bytes() + " bytes, actual "
          + data.length + " bytes. The packaged file is truncated or was replaced: rebuild the jar that carries it");
    }
    String actual = sha256Hex(data);
    if (!actual.equals(expected.sha256())) {
      throw new ModelLoadException(fileName + ": sha256 mismatch, expected " + expected.sha256() + ", actual "
          + actual + ". The packaged file is corrupt or was replaced: rebuild the jar that carries it");
    }
  }

  /** Lower-case hex SHA-256 of {@code data}. */
  public static String sha256Hex(byte[] data) {
    MessageDigest md = sha256();
    return HexFormat.of().formatHex(md.digest(data));
  }

  private static FileEntry hash(Path p) {
    MessageDigest md = sha256();
    long total = 0;
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(p)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
        total += n;
      }
    } catch (IOException e) {
      throw new ModelLoadException(p + ": cannot read to compute its sha256: " + e.getMessage(), e);
    }
    return new FileEntry(HexFormat.of().formatHex(md.digest()), total);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The model family, e.g. {@code "llama-guard-3"}. */
  public String family() {
    return family;
  }

  public int formatVersion() {
    return formatVersion;
  }

  /** Listed files by name, in manifest order; unmodifiable. */
  public Map<String, FileEntry> files() {
    return files;
  }

  /**
   * SHA-256 of the manifest's content (all keys but the seal): covers calibration, labels, thresholds and, through
   * the listed checksums, every model file. Classifier ids are built from it, so an edited manifest never
   * reports the id of the original.
   */
  public String contentSha256() {
    return contentSha256;
  }

  /** True when the manifest carries a seal (a wrong one is refused by {@link #read}). */
  public boolean sealed() {
    return sealed;
  }

  /** Where this manifest was read from (for messages). */
  public String source() {
    return source;
  }

  // ---------------------------------------------------------------------------------------------------------
  // typed accessors for the family-specific keys: nothing outside this class reads the manifest as JSON

  /** {@code "model"}: the ONNX graph's file name in the folder (default {@code model.onnx}). */
  public String modelFile() {
    JsonNode n = json.get("model");
    if (n == null || n.isNull()) {
      return "model.onnx";
    }
    if (!n.isTextual()) {
      throw new ModelLoadException(source + ": \"model\" must be the ONNX file's name (a string), was " + n);
    }
    checkFileName(source, n.asText());
    return n.asText();
  }

  /**
   * {@code "taxonomy"}: the taxonomy preset the model was trained on (for example {@code llama-guard-3-8b}), as
   * text, when the manifest names one.
   */
  public Optional<String> taxonomy() {
    JsonNode n = json.get("taxonomy");
    return n == null || n.isNull() ? Optional.empty() : Optional.of(n.asText());
  }

  /** {@code "name"}: a display name, when present (as text). */
  public Optional<String> name() {
    JsonNode n = json.get("name");
    return n == null || n.isNull() ? Optional.empty() : Optional.of(n.asText());
  }

  /** {@code "labels"}: the output labels in order, each as text; empty when absent or not an array. */
  public Optional<List<String>> labels() {
    JsonNode n = json.get("labels");
    if (n == null || !n.isArray()) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>();
    n.forEach(l -> out.add(l.asText()));
    return Optional.of(List.copyOf(out));
  }

  /** {@code "maxTokens"}: the model's input length in tokens. */
  public OptionalInt maxTokens() {
    return integer("maxTokens");
  }

  /** {@code "promptTokensInResponse"}: prompt tokens kept in front of a judged response. */
  public OptionalInt promptTokensInResponse() {
    return integer("promptTokensInResponse");
  }

  private OptionalInt integer(String key) {
    JsonNode n = json.get(key);
    if (n == null) {
      return OptionalInt.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new ModelLoadException(source + ": \"" + key + "\" must be an integer, was " + n);
    }
    return OptionalInt.of(n.intValue());
  }

  /**
   * Calibration of one label, {@code p = sigmoid(a * logit + b)}.
   *
   * @param text the entry as written (for messages)
   */
  public record Calibration(double a, double b, String text) {}

  /**
   * {@code "calibration"."<label>"}: its {@code a} and {@code b} (1 and 0 where missing or not numbers); empty
   * when the label has no entry.
   */
  public Optional<Calibration> calibration(String label) {
    requireNonNull(label, "label");
    JsonNode c = json.path("calibration").path(label);
    if (c.isMissingNode()) {
      return Optional.empty();
    }
    return Optional.of(new Calibration(c.path("a").isNumber() ? c.path("a").asDouble() : 1.0,
        c.path("b").isNumber() ? c.path("b").asDouble() : 0.0, c.toString()));
  }

  /**
   * A fixed custom-category calibration.
   *
   * @param c0 NaN where missing or not a number
   * @param tau NaN where missing or not a number
   * @param text the entry as written (for messages)
   */
  public record CustomCategory(double c0, double tau, String text) {}

  /** {@code "customCategory"}: {@code {c0, tau}}, when present. */
  public Optional<CustomCategory> customCategory() {
    JsonNode c = json.get("customCategory");
    if (c == null) {
      return Optional.empty();
    }
    return Optional.of(new CustomCategory(c.path("c0").isNumber() ? c.path("c0").asDouble() : Double.NaN,
        c.path("tau").isNumber() ? c.path("tau").asDouble() : Double.NaN, c.toString()));
  }

  /** {@code "categoryProbabilities"} as text, when present. */
  public Optional<String> categoryProbabilities() {
    JsonNode n = json.get("categoryProbabilities");
    return n == null || n.isNull() ? Optional.empty() : Optional.of(n.asText());
  }

  /**
   * Every key but the reserved ones ({@code formatVersion}, {@code family}, {@code files} and the seal), as plain
   * Java values (maps, lists, strings, numbers, booleans): what {@link #create(Path, String, Map)} takes as
   * {@code extra}, so a manifest can be re-created around changed files. Unmodifiable.
   */
  public Map<String, Object> extras() {
    Map<String, Object> out = new LinkedHashMap<>();
    json.fields().forEachRemaining(e -> {
      if (!RESERVED.contains(e.getKey())) {
        out.put(e.getKey(), CANONICAL.convertValue(e.getValue(), Object.class));
      }
    });
    return Collections.unmodifiableMap(out);
  }

  /** The whole document (a copy), for this package's tests. */
  JsonNode json() {
    return json.deepCopy();
  }

  /** The manifest as JSON text. */
  public String toJson() {
    try {
      return MAPPER.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "ModelManifest[" + family + ", " + files.keySet() + " from " + source + "]";
  }
}
