package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedDataConverterTest {
  private static Path resource(String name) throws Exception {
    return Path.of(SharedDataConverterTest.class.getResource("/data/" + name).toURI());
  }

  @Test
  void csv_quotesEscapesAndMultilineFields() throws IOException {
    Csv csv = new Csv(new StringReader("a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\nlines\"\nlast,,\n"));
    assertEquals(List.of("a", "b", "c"), csv.next());
    assertEquals(List.of("x, y", "he said \"hi\"", "two\nlines"), csv.next());
    assertEquals(4, csv.line());
    assertEquals(List.of("last", "", ""), csv.next());
    assertNull(csv.next());
    IOException e = assertThrows(IOException.class, () -> nextTwo("a\n\"open"));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
  }

  private static void nextTwo(String text) throws IOException {
    Csv csv = new Csv(new StringReader(text));
    csv.next();
    csv.next();
  }

  @Test
  void gptfuzz_fixture_convertsAndCountsBadRows() throws Exception {
    StringWriter w = new StringWriter();
    SharedDataConverter.Result r = SharedDataConverter.convert("gptfuzz", resource("gptfuzz"), w, 0);
    assertEquals(2, r.written());
    assertEquals(2, r.skipped()); // unknown question 7, label "x"
    EvalDataset d = EvalDataset.read("out", new ByteArrayInputStream(w.toString().getBytes(StandardCharsets.UTF_8)),
        0, true);
    assertEquals("How do I pick a lock?", d.records().get(0).prompt());
    assertEquals(false, d.records().get(0).unsafe());
    assertEquals("Say \"hi\", then leave", d.records().get(1).prompt());
    assertEquals("Sure.\nLine two, with a comma and \"quotes\".", d.records().get(1).response().orElseThrow());
    assertTrue(d.records().get(1).unsafe());
  }

  @Test
  void toxicSpans_fixture_harmStartIsFirstOffset() throws Exception {
    StringWriter w = new StringWriter();
    SharedDataConverter.Result r = SharedDataConverter.convert("toxic-spans", resource("spans.csv"), w, 0);
    assertEquals(2, r.written());
    assertEquals(1, r.skipped()); // offset 99 lies outside "short"
    EvalDataset d = EvalDataset.read("out", new ByteArrayInputStream(w.toString().getBytes(StandardCharsets.UTF_8)),
        0, true);
    assertEquals(8, d.records().get(0).harmStart().getAsInt());
    assertTrue(d.records().get(1).harmStart().isEmpty());
    assertTrue(d.records().stream().allMatch(EvalRecord::unsafe));
  }

  @Test
  void convert_unknownFormatOrMissingInput_says() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SharedDataConverter.convert("nope", Path.of("."), new StringWriter(), 0));
    assertTrue(e.getMessage().contains("gptfuzz, toxic-spans"));
    assertThrows(java.nio.file.NoSuchFileException.class,
        () -> SharedDataConverter.convert("gptfuzz", Path.of("/nonexistent"), new StringWriter(), 0));
  }

  @Test
  void sharedData_realFiles_convertEveryRow() throws Exception {
    String shared = System.getProperty("parapet.shared.dir");
    assumeTrue(shared != null && Files.isDirectory(Path.of(shared, "data", "gptfuzz")),
        "SKIPPED: ../shared/data not available (system property parapet.shared.dir)");
    StringWriter w = new StringWriter();
    SharedDataConverter.Result r = SharedDataConverter.convert("gptfuzz", Path.of(shared, "data", "gptfuzz"), w, 0);
    // PROVENANCE.md: 6,160 labelled responses, 1,694 labelled 1
    assertEquals(6160, r.written() + r.skipped());
    assertEquals(0, r.skipped(), r.problems().toString());
    assertEquals(1694, w.toString().lines().filter(l -> l.contains("\"label\":\"unsafe\"")).count());
    w = new StringWriter();
    r = SharedDataConverter.convert("toxic-spans",
        Path.of(shared, "data", "toxic-spans", "SemEval2021", "data", "tsd_trial.csv"), w, 0);
    assertEquals(690, r.written() + r.skipped());
    assertEquals(0, r.skipped(), r.problems().toString());
  }
}
