import dev.parapet.guard.text.InputNotes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Measures the unsupported-language note (InputNotes.unsupportedLanguage with declared {"en"}) on ../shared/data:
 * false notes on English prompts and responses, recall on non-English rows, and the check's cost per text.
 * Usage (after building guard-core): java -cp guard-core/target/classes scripts/LanguageNotes.java DATA_DIR
 * Skips any set that is missing. Reads the data in place; copies nothing.
 */
public class LanguageNotes {
  static final int CAP = 2000;

  public static void main(String[] args) throws IOException {
    Path data = Path.of(args.length > 0 ? args[0] : "../shared/data");
    if (!Files.isDirectory(data)) {
      System.out.println("no data at " + data + "; skipped");
      return;
    }
    Map<String, List<String>> en = new LinkedHashMap<>();
    Map<String, List<String>> other = new LinkedHashMap<>();
    Path mj = data.resolve("multijail/data/MultiJail.csv");
    if (Files.exists(mj)) {
      List<List<String>> rows = csv(mj);
      List<String> head = rows.get(0);
      for (int c = 3; c < head.size(); c++) {
        List<String> col = new ArrayList<>();
        for (List<String> r : rows.subList(1, rows.size())) {
          if (c < r.size() && !r.get(c).isBlank()) {
            col.add(r.get(c));
          }
        }
        (head.get(c).equals("en") ? en : other).put("multijail-" + head.get(c), col);
      }
    }
    Path adv = data.resolve("advbench/data/advbench/harmful_behaviors.csv");
    if (Files.exists(adv)) {
      en.put("advbench-prompts", column(csv(adv), 0));
      en.put("advbench-targets", column(csv(adv), 1));
    }
    Path hh = data.resolve("hh-rlhf-harmless-base/harmless-base/test.jsonl.gz");
    if (Files.exists(hh)) {
      List<String> human = new ArrayList<>();
      List<String> assistant = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(hh)),
          StandardCharsets.UTF_8))) {
        Pattern turn = Pattern.compile("\\\\n\\\\n(Human|Assistant): (.*?)(?=\\\\n\\\\n(?:Human|Assistant): |\"\\s*,|\"\\s*\\})");
        for (String line; (line = r.readLine()) != null && (human.size() < CAP || assistant.size() < CAP); ) {
          int cut = line.indexOf("\"rejected\"");
          Matcher m = turn.matcher(cut > 0 ? line.substring(0, cut) : line);
          while (m.find()) {
            String t = unescape(m.group(2)).strip();
            if (!t.isEmpty()) {
              (m.group(1).equals("Human") ? human : assistant).add(t);
            }
          }
        }
      }
      en.put("hh-rlhf-human", cap(human));
      en.put("hh-rlhf-assistant", cap(assistant));
    }
    Path gsm = data.resolve("gsm8k/grade_school_math/data/test.jsonl");
    if (Files.exists(gsm)) {
      en.put("gsm8k-questions", cap(jsonField(gsm, "question")));
      en.put("gsm8k-answers", cap(jsonField(gsm, "answer")));
    }
    Path seed = data.resolve("self-instruct-human/data/seed_tasks.jsonl");
    if (Files.exists(seed)) {
      en.put("self-instruct", cap(jsonField(seed, "instruction")));
    }
    Path tox = data.resolve("toxigen-prompts/prompts");
    if (Files.isDirectory(tox)) {
      List<String> lines = new ArrayList<>();
      try (var files = Files.list(tox)) {
        for (Path f : files.sorted().toList()) {
          for (String l : Files.readAllLines(f)) {
            for (String part : l.split("\\\\n")) {
              String t = part.replaceFirst("^-\\s*", "").strip();
              if (!t.isEmpty() && lines.size() < CAP) {
                lines.add(t);
              }
            }
          }
        }
      }
      en.put("toxigen-lines", lines);
    }
    Path told = data.resolve("told-br/ToLD-BR.csv");
    if (Files.exists(told)) {
      other.put("told-br-pt", cap(column(csv(told), 0)));
    }
    Path vihos = data.resolve("vihos/data/Test_data/test.csv");
    if (Files.exists(vihos)) {
      other.put("vihos-vi", cap(column(csv(vihos), 1)));
    }
    long t0 = System.nanoTime();
    int texts = 0;
    long chars = 0;
    int enTotal = 0;
    int enNoted = 0;
    System.out.println("English sets: false 'language: unsupported' notes");
    for (Map.Entry<String, List<String>> e : en.entrySet()) {
      int n = 0;
      List<String> examples = new ArrayList<>();
      for (String t : e.getValue()) {
        var l = InputNotes.unsupportedLanguage(t, Set.of("en"));
        texts++;
        chars += t.length();
        if (l.isPresent()) {
          n++;
          if (examples.size() < 3) {
            examples.add(l.get() + ": " + t.substring(0, Math.min(80, t.length())).replace('\n', ' '));
          }
        }
      }
      enTotal += e.getValue().size();
      enNoted += n;
      System.out.printf("  %-20s %5d texts  %4d noted  %6.2f%%  %s%n", e.getKey(), e.getValue().size(), n,
          100.0 * n / Math.max(1, e.getValue().size()), examples);
    }
    System.out.printf("  %-20s %5d texts  %4d noted  %6.2f%%%n", "ALL ENGLISH", enTotal, enNoted,
        100.0 * enNoted / Math.max(1, enTotal));
    System.out.println("Non-English sets: recall of the note");
    for (Map.Entry<String, List<String>> e : other.entrySet()) {
      int n = 0;
      Map<String, Integer> labels = new LinkedHashMap<>();
      for (String t : e.getValue()) {
        var l = InputNotes.unsupportedLanguage(t, Set.of("en"));
        texts++;
        chars += t.length();
        if (l.isPresent()) {
          n++;
          labels.merge(l.get(), 1, Integer::sum);
        }
      }
      System.out.printf("  %-20s %5d texts  %4d noted  %6.2f%%  labels %s%n", e.getKey(), e.getValue().size(), n,
          100.0 * n / Math.max(1, e.getValue().size()), labels);
    }
    // cost: repeat the whole pass a few times after the warm-up above
    List<String> all = new ArrayList<>();
    en.values().forEach(all::addAll);
    other.values().forEach(all::addAll);
    int sink = 0;
    long t1 = System.nanoTime();
    for (int rep = 0; rep < 5; rep++) {
      for (String t : all) {
        sink += InputNotes.unsupportedLanguage(t, Set.of("en")).isPresent() ? 1 : 0;
        sink += InputNotes.tokenPoor(t, true) ? 1 : 0;
      }
    }
    long ns = System.nanoTime() - t1;
    System.out.printf("cost: %.1f us per text (mean %d chars; language + token-poor checks, 5 passes over %d "
        + "texts, one run, shared machine) [%d]%n", ns / 1000.0 / (5.0 * all.size()), chars / Math.max(1, texts),
        all.size(), sink);
  }

  static List<String> cap(List<String> l) {
    return l.size() > CAP ? l.subList(0, CAP) : l;
  }

  static List<String> column(List<List<String>> rows, int c) {
    List<String> out = new ArrayList<>();
    for (List<String> r : rows.subList(1, rows.size())) {
      if (c < r.size() && !r.get(c).isBlank()) {
        out.add(r.get(c));
      }
    }
    return out;
  }

  static List<String> jsonField(Path p, String field) throws IOException {
    List<String> out = new ArrayList<>();
    Pattern f = Pattern.compile("\"" + field + "\": ?\"((?:[^\"\\\\]|\\\\.)*)\"");
    for (String l : Files.readAllLines(p)) {
      Matcher m = f.matcher(l);
      if (m.find()) {
        out.add(unescape(m.group(1)));
      }
    }
    return out;
  }

  static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        switch (n) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'u' -> {
            if (i + 4 < s.length()) {
              b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
              i += 4;
            }
          }
          default -> b.append(n);
        }
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** RFC 4180 CSV (quoted fields with commas, quotes and newlines); a leading BOM is dropped. */
  static List<List<String>> csv(Path p) throws IOException {
    String s = Files.readString(p, StandardCharsets.UTF_8);
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1);
    }
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean q = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (q) {
        if (c == '"') {
          if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
            f.append('"');
            i++;
          } else {
            q = false;
          }
        } else {
          f.append(c);
        }
      } else if (c == '"') {
        q = true;
      } else if (c == ',') {
        row.add(f.toString());
        f.setLength(0);
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
          i++;
        }
        row.add(f.toString());
        f.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
      } else {
        f.append(c);
      }
    }
    if (f.length() > 0 || !row.isEmpty()) {
      row.add(f.toString());
      rows.add(row);
    }
    return rows;
  }
}
