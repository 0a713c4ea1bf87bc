package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.BufferedInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.Map;
import java.util.HashMap;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A labelled evaluation data set read from JSONL: the records that parsed and, never silently dropped, the
 * lines that did not. Immutable and thread-safe.
 *
 * <p>Blank lines are ignored (they hold no record). Any other line that is not valid UTF-8, not a JSON
 * object, or lacks a string {@code prompt} or a {@code label} of {@code safe}/{@code unsafe} (or has fields of
 * the wrong type) is a {@link MalformedLine}; in strict mode the first one throws a
 * {@link MalformedDataException} naming its line. A UTF-8 byte order mark before the first line is skipped. A line
 * with anything after its JSON object (two records run together, a half-written line) is malformed, never read as
 * its first object alone. Readable records that deserve a look are kept and listed in {@link #warnings()}: an id
 * used before (metrics count both, per-record reports show the id twice); category codes are checked against a
 * taxonomy by {@link #unknownCategories}.
 */
public final class EvalDataset {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final String name;
  private final List<EvalRecord> records;
  private final List<MalformedLine> malformed;
  private final List<MalformedLine> warnings;

  private EvalDataset(String name, List<EvalRecord> records, List<MalformedLine> malformed,
      List<MalformedLine> warnings) {
    this.name = name;
    this.records = List.copyOf(records);
    this.malformed = List.copyOf(malformed);
    this.warnings = List.copyOf(warnings);
  }

  /**
   * Reads a JSONL file.
   *
   * @param limit at most this many records are read (0 or negative: all)
   * @param strict throw on the first malformed line instead of collecting it
   * @throws MalformedDataException in strict mode
   * @throws IOException when the file cannot be read
   */
  public static EvalDataset read(Path file, int limit, boolean strict) throws IOException {
    requireNonNull(file, "file");
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null,
          "no such data file; pass --data with the path of a JSONL file (one JSON object per line)");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(file.toString(), in, limit, strict);
    }
  }

  /** Reads JSONL from a stream (not closed); {@code name} is used in messages. */
  public static EvalDataset read(String name, InputStream in, int limit, boolean strict) throws IOException {
    requireNonNull(name, "name");
    requireNonNull(in, "in");
    List<EvalRecord> records = new ArrayList<>();
    List<MalformedLine> malformed = new ArrayList<>();
    List<MalformedLine> warnings = new ArrayList<>();
    Map<String, Long> idLines = new HashMap<>();
    LineReader lines = new LineReader(in);
    byte[] raw;
    long lineNo = 0;
    while ((raw = lines.next()) != null) {
      lineNo++;
      if (limit > 0 && records.size() >= limit) {
        break;
      }
      if (lineNo == 1 && raw.length >= 3 && (raw[0] & 0xff) == 0xEF && (raw[1] & 0xff) == 0xBB
          && (raw[2] & 0xff) == 0xBF) {
        raw = java.util.Arrays.copyOfRange(raw, 3, raw.length); // a BOM once dropped the first record
      }
      ParseResult r = parseLine(raw, lineNo);
      if (r.blank) {
        continue;
      }
      if (r.error != null) {
        if (strict) {
          throw new MalformedDataException(name, r.error);
        }
        malformed.add(r.error);
      } else {
        Long first = idLines.putIfAbsent(r.record.id(), lineNo);
        if (first != null) {
          warnings.add(new MalformedLine(lineNo, "id \"" + r.record.id() + "\" was already used on line " + first
              + "; both records are evaluated"));
        }
        records.add(r.record);
      }
    }
    return new EvalDataset(name, records, malformed, warnings);
  }

  public String name() {
    return name;
  }

  public List<EvalRecord> records() {
    return records;
  }

  /** Records that were read but deserve a look (duplicate ids), in file order. */
  public List<MalformedLine> warnings() {
    return warnings;
  }

  /**
   * Records whose {@code categories} name a code the taxonomy does not know (neither a code nor an alias): such
   * a label counts in no per-category number, which would otherwise go unnoticed.
   *
   * @param known tells whether a code or alias is in the taxonomy, e.g. {@code c -> taxonomy.category(c).isPresent()}
   */
  public List<MalformedLine> unknownCategories(Predicate<String> known) {
    requireNonNull(known, "known");
    List<MalformedLine> out = new ArrayList<>();
    for (EvalRecord r : records) {
      List<String> unknown = r.categories().stream().filter(c -> !known.test(c)).toList();
      if (!unknown.isEmpty()) {
        out.add(new MalformedLine(r.line(), "unknown category code(s) " + unknown + " in record \"" + r.id()
            + "\"; they count in no per-category number"));
      }
    }
    return out;
  }

  /** Lines that were skipped, in file order. */
  public List<MalformedLine> malformed() {
    return malformed;
  }

  private static ParseResult parseLine(byte[] raw, long lineNo) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      return ParseResult.error(lineNo, "not valid UTF-8; re-encode the file as UTF-8");
    }
    return parseText(text, lineNo);
  }

  private static ParseResult parseText(String text, long lineNo) {
    if (text.isBlank()) {
      return ParseResult.BLANK;
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      String why = String.valueOf(e.getOriginalMessage());
      return ParseResult.error(lineNo, "not valid JSON (" + why + ")"
          + (why.contains("Trailing token") ? "; text after the object: one JSON object per line" : ""));
    }
    if (node == null || !node.isObject()) {
      return ParseResult.error(lineNo, "expected a JSON object like {\"prompt\": \"...\", \"label\": \"safe\"}");
    }
    try {
      return ParseResult.ok(toRecord(node, lineNo));
    } catch (IllegalArgumentException e) {
      return ParseResult.error(lineNo, e.getMessage());
    }
  }

  private static EvalRecord toRecord(JsonNode o, long lineNo) {
    String id = o.has("id") && !o.get("id").isNull() ? scalarText(o.get("id"), "id") : "line-" + lineNo;
    JsonNode p = o.get("prompt");
    if (p == null || !p.isTextual()) {
      throw new IllegalArgumentException("\"prompt\" must be a string" + (p == null ? " and is missing" : ""));
    }
    Optional<String> response = Optional.empty();
    JsonNode r = o.get("response");
    if (r != null && !r.isNull()) {
      if (!r.isTextual()) {
        throw new IllegalArgumentException("\"response\" must be a string or null");
      }
      response = Optional.of(r.asText());
    }
    JsonNode l = o.get("label");
    if (l == null || !l.isTextual()) {
      throw new IllegalArgumentException("\"label\" must be \"safe\" or \"unsafe\"" + (l == null ? " and is missing" : ""));
    }
    boolean unsafe;
    switch (l.asText().trim().toLowerCase(Locale.ROOT)) {
      case "unsafe":
        unsafe = true;
        break;
      case "safe":
        unsafe = false;
        break;
      default:
        throw new IllegalArgumentException("\"label\" must be \"safe\" or \"unsafe\", was \"" + l.asText() + "\"");
    }
    List<String> categories = new ArrayList<>();
    JsonNode c = o.get("categories");
    if (c != null && !c.isNull()) {
      if (!c.isArray()) {
        throw new IllegalArgumentException("\"categories\" must be an array of taxonomy codes like [\"S1\"]");
      }
      for (JsonNode e : c) {
        if (!e.isTextual() || e.asText().isBlank()) {
          throw new IllegalArgumentException("\"categories\" must hold non-empty strings, found " + e);
        }
        categories.add(e.asText().trim());
      }
    }
    Optional<String> source = Optional.empty();
    JsonNode s = o.get("source");
    if (s != null && !s.isNull()) {
      source = Optional.of(scalarText(s, "source"));
    }
    OptionalInt harmStart = OptionalInt.empty();
    JsonNode h = o.get("harm_start");
    if (h != null && !h.isNull()) {
      if (!h.canConvertToInt() || !h.isIntegralNumber()) {
        throw new IllegalArgumentException("\"harm_start\" must be a char offset (an integer), was " + h);
      }
      harmStart = OptionalInt.of(h.asInt());
    }
    return new EvalRecord(id, lineNo, p.asText(), response, unsafe, categories, source, harmStart);
  }

  private static String scalarText(JsonNode n, String field) {
    if (!n.isValueNode()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a string, was " + n.getNodeType());
    }
    return n.asText();
  }

  private static final class ParseResult {
    static final ParseResult BLANK = new ParseResult(null, null, true);
    final EvalRecord record;
    final MalformedLine error;
    final boolean blank;

    private ParseResult(EvalRecord record, MalformedLine error, boolean blank) {
      this.record = record;
      this.error = error;
      this.blank = blank;
    }

    static ParseResult ok(EvalRecord r) {
      return new ParseResult(r, null, false);
    }

    static ParseResult error(long line, String reason) {
      return new ParseResult(null, new MalformedLine(line, reason), false);
    }
  }

  /** Splits a byte stream on '\n' (dropping a preceding '\r'), so that each line is decoded on its own. */
  private static final class LineReader {
    private final InputStream in;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(256);

    LineReader(InputStream in) {
      this.in = new BufferedInputStream(in, 1 << 16);
    }

    byte[] next() throws IOException {
      buf.reset();
      int b;
      boolean any = false;
      while ((b = in.read()) != -1) {
        any = true;
        if (b == '\n') {
          break;
        }
        buf.write(b);
      }
      if (!any) {
        return null;
      }
      byte[] line = buf.toByteArray();
      if (line.length > 0 && line[line.length - 1] == '\r') {
        return java.util.Arrays.copyOf(line, line.length - 1);
      }
      return line;
    }
  }
}
