package dev.parapet.guard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Note;
import dev.parapet.guard.Target;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.taxonomy.Category;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints verdicts as a fixed-width table for people. */
final class VerdictTable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * {@link Verdict#toJson()} as a tree, to embed in the CLI's JSON lines; written out again it gives the same
   * text (Jackson keeps the field order and the numbers).
   */
  static ObjectNode json(Verdict v) {
    try {
      return (ObjectNode) JSON.readTree(v.toJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Verdict.toJson() wrote invalid JSON: " + e.getMessage(), e);
    }
  }
  static final int TOP = 3;
  static final double MIN_SHOWN = 0.05;

  private VerdictTable() {}

  static void print(PrintWriter out, Taxonomy taxonomy, List<ClassifyCommand.Item> items, List<Verdict> verdicts) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "DECISION", "P(UNSAFE)", "TOP CATEGORIES", "MS", "INPUT"});
    for (int i = 0; i < items.size(); i++) {
      Verdict v = verdicts.get(i);
      String input = items.get(i).conversation().target() == Target.RESPONSE
          ? "response: " + oneLine(items.get(i).conversation().last().text(), 60)
          : oneLine(items.get(i).conversation().last().text(), 70);
      rows.add(new String[] {Integer.toString(i + 1), v.decision().name(), score(v.unsafeScore()),
          topCategories(v, taxonomy), String.format(Locale.ROOT, "%.1f", v.latency().toNanos() / 1e6), input});
    }
    int[] w = new int[6];
    for (String[] r : rows) {
      for (int c = 0; c < r.length; c++) {
        w[c] = Math.max(w[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < r.length; c++) {
        boolean right = c == 0 || c == 2 || c == 4;
        String cell = r[c];
        String pad = " ".repeat(w[c] - cell.length());
        b.append(right ? pad + cell : c == r.length - 1 ? cell : cell + pad);
        if (c < r.length - 1) {
          b.append("  ");
        }
      }
      out.println(b.toString().stripTrailing());
    }
    for (int i = 0; i < verdicts.size(); i++) {
      Verdict v = verdicts.get(i);
      int idx = i;
      v.failure().ifPresent(f -> out.println("  note: #" + (idx + 1) + " classifier failed ("
          + f.kind() + ": " + f.message() + "); fail-" + f.appliedMode().name().toLowerCase(Locale.ROOT)
          + " decided " + v.decision()));
      for (Note n : v.notes()) {
        out.println("  note: #" + (i + 1) + " " + n);
      }
    }
  }

  /**
   * Up to {@link #TOP} categories by score, e.g. {@code S9 Indiscriminate Weapons 0.93, S1 Violent Crimes 0.12};
   * after the first, only those scoring at least {@link #MIN_SHOWN}.
   */
  static String topCategories(Verdict v, Taxonomy taxonomy) {
    if (v.scores().isEmpty()) {
      return v.failure().map(f -> "failed: " + f.kind()).orElse("-");
    }
    Map<String, Double> cats = v.scores().get().categories();
    if (cats.isEmpty()) {
      return "(no category scores)";
    }
    List<Map.Entry<String, Double>> sorted = new ArrayList<>(cats.entrySet());
    sorted.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(TOP, sorted.size()); i++) {
      Map.Entry<String, Double> e = sorted.get(i);
      if (i > 0 && e.getValue() < MIN_SHOWN) {
        break; // the top category is always shown; the others only when they carry some weight
      }
      String name = taxonomy.category(e.getKey()).map(Category::name).orElse("");
      if (name.length() > 22) {
        name = name.substring(0, 21) + "…";
      }
      b.append(i == 0 ? "" : ", ").append(e.getKey()).append(name.isEmpty() ? "" : " " + name).append(' ')
          .append(String.format(Locale.ROOT, "%.2f", e.getValue()));
    }
    return b.toString();
  }

  static String score(double p) {
    return Double.isNaN(p) ? "-" : String.format(Locale.ROOT, "%.3f", p);
  }

  /** Text on one line: control characters and newlines become spaces; long text is cut with an ellipsis. */
  static String oneLine(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
    for (int i = 0; i < s.length() && b.length() <= max; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
          && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))) ? '\uFFFD' : c);
    }
    if (b.length() > max) {
      b.setLength(max - 1);
      if (Character.isHighSurrogate(b.charAt(b.length() - 1))) {
        b.setLength(b.length() - 1);
      }
      b.append('…');
    }
    return b.toString();
  }
}
