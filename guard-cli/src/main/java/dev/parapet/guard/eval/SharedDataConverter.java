package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts published data sets (as copied byte for byte into ../shared/data) into Parapet's eval JSONL, for
 * {@code parapet eval} and {@code parapet eval-stream}. Rows that cannot be converted are counted, never silently
 * dropped. Stateless.
 *
 * <ul>
 *   <li>{@code gptfuzz}: {@code datasets/responses_labeled/train.csv} (question index, response, human label 1 =
 *       harmful compliance) joined with {@code datasets/questions/question_list.csv}: response items, label
 *       unsafe for 1;
 *   <li>{@code toxic-spans}: {@code SemEval2021/data/tsd_*.csv} (character offsets of toxic spans, all posts
 *       toxic): response items with an empty prompt, label unsafe, {@code harm_start} = the first offset (absent
 *       for posts with no localised span).
 * </ul>
 */
public final class SharedDataConverter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SharedDataConverter() {}

  /** What a conversion wrote. */
  public record Result(long written, long skipped, List<String> problems) {}

  /**
   * Converts {@code in} (the data set's folder, or for toxic-spans one CSV file) to JSONL.
   *
   * @param format {@code gptfuzz} or {@code toxic-spans}
   */
  public static Result convert(String format, Path in, Writer out, int limit) throws IOException {
    requireNonNull(format, "format");
    requireNonNull(in, "in");
    requireNonNull(out, "out");
    switch (format) {
      case "gptfuzz":
        return gptfuzz(in, out, limit);
      case "toxic-spans":
        return toxicSpans(in, out, limit);
      default:
        throw new IllegalArgumentException("unknown format '" + format + "'; known: gptfuzz, toxic-spans");
    }
  }

  private static Result gptfuzz(Path dir, Writer out, int limit) throws IOException {
    Path questions = dir.resolve("datasets/questions/question_list.csv");
    Path responses = dir.resolve("datasets/responses_labeled/train.csv");
    Map<String, String> q = new HashMap<>();
    try (BufferedReader r = open(questions)) {
      Csv csv = new Csv(r);
      csv.next(); // header: index,text
      List<String> row;
      while ((row = csv.next()) != null) {
        if (row.size() >= 2) {
          q.put(row.get(0).trim(), row.get(1));
        }
      }
    }
    long written = 0;
    long skipped = 0;
    List<String> problems = new java.util.ArrayList<>();
    try (BufferedReader r = open(responses)) {
      Csv csv = new Csv(r);
      List<String> header = csv.next(); // question,Response,label
      List<String> row;
      long index = 0;
      while ((row = csv.next()) != null && (limit <= 0 || written < limit)) {
        index++;
        String prompt = row.size() == 3 ? q.get(row.get(0).trim()) : null;
        String label = row.size() == 3 ? row.get(2).trim() : "";
        if (prompt == null || !(label.equals("0") || label.equals("1"))) {
          skipped++;
          if (problems.size() < 20) {
            problems.add("gptfuzz row " + index + ": expected " + header + " with a known question and label 0/1");
          }
          continue;
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("id", "gptfuzz-" + index);
        o.put("prompt", prompt);
        o.put("response", row.get(1));
        o.put("label", label.equals("1") ? "unsafe" : "safe");
        o.put("source", "gptfuzz");
        out.write(JSON.writeValueAsString(o));
        out.write('\n');
        written++;
      }
    }
    return new Result(written, skipped, problems);
  }

  private static Result toxicSpans(Path file, Writer out, int limit) throws IOException {
    long written = 0;
    long skipped = 0;
    List<String> problems = new java.util.ArrayList<>();
    String name = file.getFileName().toString();
    try (BufferedReader r = open(file)) {
      Csv csv = new Csv(r);
      csv.next(); // spans,text
      List<String> row;
      long index = 0;
      while ((row = csv.next()) != null && (limit <= 0 || written < limit)) {
        index++;
        Integer first = row.size() == 2 ? firstOffset(row.get(0)) : null;
        if (row.size() != 2 || (first != null && first > row.get(1).length()) || first != null && first < 0) {
          skipped++;
          if (problems.size() < 20) {
            problems.add(name + " row " + index + ": expected spans,text with offsets inside the text");
          }
          continue;
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("id", "toxic-spans-" + name.replace(".csv", "") + "-" + index);
        o.put("prompt", "");
        o.put("response", row.get(1));
        o.put("label", "unsafe");
        o.put("source", "toxic-spans");
        if (first != null) {
          o.put("harm_start", first);
        }
        out.write(JSON.writeValueAsString(o));
        out.write('\n');
        written++;
      }
    }
    return new Result(written, skipped, problems);
  }

  /** The smallest offset in a Python-list string like {@code "[8, 9, 10]"}, null for {@code "[]"}. */
  static Integer firstOffset(String spans) {
    String s = spans.trim();
    if (!s.startsWith("[") || !s.endsWith("]")) {
      return -1;
    }
    String body = s.substring(1, s.length() - 1).trim();
    if (body.isEmpty()) {
      return null;
    }
    int min = Integer.MAX_VALUE;
    for (String part : body.split(",")) {
      try {
        min = Math.min(min, Integer.parseInt(part.trim()));
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return min;
  }

  private static BufferedReader open(Path p) throws IOException {
    if (!Files.isRegularFile(p)) {
      throw new NoSuchFileException(p.toString(), null, "not found; pass the data set's folder as copied into "
          + "../shared/data (for toxic-spans: the CSV file itself)");
    }
    return Files.newBufferedReader(p, StandardCharsets.UTF_8);
  }
}
