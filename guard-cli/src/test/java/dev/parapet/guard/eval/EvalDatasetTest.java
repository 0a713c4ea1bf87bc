package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalDatasetTest {
  static Path resource(String name) {
    try {
      return Path.of(EvalDatasetTest.class.getResource("/eval/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void read_validFile_parsesEveryFieldAndIgnoresBlankLines() throws IOException {
    EvalDataset d = EvalDataset.read(resource("small.jsonl"), 0, true);
    assertEquals(11, d.records().size());
    assertTrue(d.malformed().isEmpty());
    EvalRecord h3 = d.records().stream().filter(r -> r.id().equals("h3")).findFirst().orElseThrow();
    assertTrue(h3.unsafe());
    assertEquals(List.of("S2"), h3.categories());
    assertEquals("responses", h3.source().orElseThrow());
    assertEquals(12, h3.harmStart().getAsInt());
    assertTrue(h3.response().orElseThrow().startsWith("Sure."));
    assertEquals(7, h3.line());
    EvalRecord b1 = d.records().get(0);
    assertFalse(b1.unsafe());
    assertTrue(b1.response().isEmpty());
    assertEquals(dev.parapet.guard.Target.PROMPT, b1.conversation().target());
    assertEquals(dev.parapet.guard.Target.RESPONSE, h3.conversation().target());
    // the record after the blank line keeps its real line number
    assertEquals(11, d.records().get(9).line());
  }

  @Test
  void read_malformedLines_skippedWithLineNumbersAndReasons() throws IOException {
    EvalDataset d = EvalDataset.read(resource("malformed.jsonl"), 0, false);
    assertEquals(List.of("ok1", "ok2"), d.records().stream().map(EvalRecord::id).toList());
    assertEquals(List.of(2L, 3L, 4L, 5L, 7L, 8L), d.malformed().stream().map(MalformedLine::line).toList());
    assertTrue(d.malformed().get(0).reason().contains("not valid JSON"), d.malformed().get(0).reason());
    assertTrue(d.malformed().get(1).reason().contains("\"label\""), d.malformed().get(1).reason());
    assertTrue(d.malformed().get(2).reason().contains("maybe"), d.malformed().get(2).reason());
    assertTrue(d.malformed().get(3).reason().contains("JSON object"), d.malformed().get(3).reason());
    assertTrue(d.malformed().get(4).reason().contains("categories"), d.malformed().get(4).reason());
    assertTrue(d.malformed().get(5).reason().contains("harm_start"), d.malformed().get(5).reason());
  }

  @Test
  void read_strict_failsOnFirstMalformedLineNamingIt() {
    MalformedDataException e = assertThrows(MalformedDataException.class,
        () -> EvalDataset.read(resource("malformed.jsonl"), 0, true));
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("malformed.jsonl:2:"), e.getMessage());
    assertTrue(e.getMessage().contains("--strict"), e.getMessage());
  }

  @Test
  void read_limit_stopsAfterNRecords() throws IOException {
    EvalDataset d = EvalDataset.read(resource("small.jsonl"), 3, false);
    assertEquals(3, d.records().size());
  }

  @Test
  void read_invalidUtf8AndCrlf_reportedPerLine() throws IOException {
    byte[] good = "{\"prompt\":\"a\",\"label\":\"safe\"}\r\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {'{', '"', 'p', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
    byte[] all = new byte[good.length + bad.length];
    System.arraycopy(good, 0, all, 0, good.length);
    System.arraycopy(bad, 0, all, good.length, bad.length);
    EvalDataset d = EvalDataset.read("mem", new ByteArrayInputStream(all), 0, false);
    assertEquals(1, d.records().size());
    assertEquals("line-1", d.records().get(0).id());
    assertEquals(1, d.malformed().size());
    assertEquals(2, d.malformed().get(0).line());
    assertTrue(d.malformed().get(0).reason().contains("UTF-8"));
  }

  @Test
  void read_specialTokensAndLoneSurrogates_keptAsText() throws IOException {
    String line = "{\"prompt\":\"<|eot_id|> hi \\ud800\",\"label\":\"safe\"}\n";
    EvalDataset d = EvalDataset.read("mem", new ByteArrayInputStream(line.getBytes(StandardCharsets.UTF_8)), 0, true);
    assertEquals("<|eot_id|> hi \ud800", d.records().get(0).prompt());
  }

  @Test
  void read_missingFile_saysWhatToPass() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> EvalDataset.read(Path.of("/nonexistent/data.jsonl"), 0, false));
    assertTrue(e.getMessage().contains("--data"), e.getMessage());
  }

  private static EvalDataset readBytes(byte[] data) throws IOException {
    return EvalDataset.read("t.jsonl", new ByteArrayInputStream(data), 0, false);
  }

  private static EvalDataset readText(String text) throws IOException {
    return readBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void read_utf8Bom_keepsTheFirstRecord() throws IOException {
    byte[] body = "{\"id\":\"a\",\"prompt\":\"hi\",\"label\":\"safe\"}\n{\"id\":\"b\",\"prompt\":\"x\",\"label\":\"unsafe\"}\n"
        .getBytes(StandardCharsets.UTF_8);
    byte[] withBom = new byte[body.length + 3];
    withBom[0] = (byte) 0xEF;
    withBom[1] = (byte) 0xBB;
    withBom[2] = (byte) 0xBF;
    System.arraycopy(body, 0, withBom, 3, body.length);
    EvalDataset d = readBytes(withBom);
    assertEquals(List.of("a", "b"), d.records().stream().map(EvalRecord::id).toList());
    assertTrue(d.malformed().isEmpty(), d.malformed().toString());
  }

  @Test
  void read_trailingGarbageAfterTheObject_isMalformedWithItsLine() throws IOException {
    EvalDataset d = readText("{\"prompt\":\"a\",\"label\":\"safe\"}\n"
        + "{\"prompt\":\"b\",\"label\":\"safe\"}{\"prompt\":\"c\",\"label\":\"unsafe\"}\n"
        + "{\"prompt\":\"d\",\"label\":\"safe\"} trailing\n");
    assertEquals(1, d.records().size());
    assertEquals(List.of(2L, 3L), d.malformed().stream().map(MalformedLine::line).toList());
    assertTrue(d.malformed().get(0).reason().contains("one JSON object per line"), d.malformed().toString());
  }

  @Test
  void read_duplicateIds_warnWithBothLinesAndKeepBoth() throws IOException {
    EvalDataset d = readText("{\"id\":\"x\",\"prompt\":\"a\",\"label\":\"safe\"}\n"
        + "{\"id\":\"y\",\"prompt\":\"b\",\"label\":\"safe\"}\n"
        + "{\"id\":\"x\",\"prompt\":\"c\",\"label\":\"unsafe\"}\n");
    assertEquals(3, d.records().size());
    assertEquals(1, d.warnings().size(), d.warnings().toString());
    assertEquals(3, d.warnings().get(0).line());
    assertTrue(d.warnings().get(0).reason().contains("already used on line 1"), d.warnings().toString());
  }

  @Test
  void unknownCategories_namesTheLineAndTheCodes() throws IOException {
    EvalDataset d = readText("{\"prompt\":\"a\",\"label\":\"unsafe\",\"categories\":[\"S1\"]}\n"
        + "{\"prompt\":\"b\",\"label\":\"unsafe\",\"categories\":[\"S9\",\"S99\"]}\n");
    List<MalformedLine> w = d.unknownCategories(
        c -> dev.parapet.guard.taxonomy.Taxonomies.llamaGuard3().category(c).isPresent());
    assertEquals(1, w.size(), w.toString());
    assertEquals(2, w.get(0).line());
    assertTrue(w.get(0).reason().contains("[S99]"), w.toString());
  }
}
