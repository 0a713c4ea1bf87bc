package dev.parapet.guard.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spark-submit entry point, run in-process on local[2] (the tests' session), end to end. */
class ModerationJobTest {
  @TempDir Path dir;

  record Run(int rc, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    SparkTests.spark(); // the job reuses the active session and leaves it running
    int rc = ModerationJob.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void job_jsonlIn_parquetAndJsonlOut_withSummaryAndCountsFile() throws Exception {
    Path input = dir.resolve("chats.jsonl");
    Files.writeString(input, String.join("\n",
        "{\"prompt\":\"how to kill a process\",\"answer\":\"use kill -9\"}",
        "{\"prompt\":\"hello\",\"answer\":\"hi there\"}",
        "{\"prompt\":\"BOOM\",\"answer\":\"BOOM\"}",
        "{\"prompt\":null,\"answer\":\"x\"}",
        "{\"prompt\":\"weather\",\"answer\":\"kill it\"}") + "\n");
    Path parquet = dir.resolve("judged.parquet");
    Run r = run("--input", input.toString(), "--output", parquet.toString(), "--text-col", "prompt",
        "--response-col", "answer", "--model", KeywordTestProvider.MODEL, "--batch-size", "1");
    assertEquals(0, r.rc(), r.err());
    assertTrue(r.out().contains("5 rows moderated"), r.out());
    assertTrue(r.out().contains("error rows: 2 (40.00%)"), r.out());
    assertTrue(r.out().contains("S1   40.00% (2 rows)"), r.out());
    List<Row> rows = SparkTests.spark().read().parquet(parquet.toString()).collectAsList();
    assertEquals(5, rows.size());
    assertEquals(2, rows.stream().filter(x -> !x.isNullAt(x.fieldIndex("parapet_error"))).count());
    JsonNode counts = new ObjectMapper().readTree(dir.resolve("judged.parquet.counts.json").toFile());
    assertEquals(5, counts.get("rows").asLong());
    assertEquals(2, counts.get("error_rows").asLong());
    assertEquals(2, counts.at("/categories/S1/rows").asLong());
    assertEquals(0.4, counts.at("/categories/S1/share").asDouble(), 1e-12);
    assertEquals(4, counts.at("/decisions/BLOCK").asLong(), "2 unsafe responses + 2 failed rows (fail closed)");
    assertEquals(1, counts.at("/decisions/ALLOW").asLong());

    Path jsonl = dir.resolve("judged.jsonl");
    Run j = run("--input", parquet.toString(), "--output", jsonl.toString(), "--text-col", "prompt",
        "--model", KeywordTestProvider.MODEL, "--policy", "default=flag@0.5, onError=open");
    // the Parquet output has Parapet columns already: a clear usage error, nothing written
    assertEquals(2, j.rc(), j.out());
    assertTrue(j.err().contains("already has a column 'parapet_decision'"), j.err());
    Run ok = run("--input", input.toString(), "--output", jsonl.toString(), "--text-col", "prompt",
        "--model", KeywordTestProvider.MODEL, "--policy", "default=flag@0.5, onError=open", "--batch-size", "2");
    assertEquals(0, ok.rc(), ok.err());
    List<String> lines = Files.list(jsonl).filter(p -> p.getFileName().toString().endsWith(".json"))
        .flatMap(p -> {
          try {
            return Files.readAllLines(p).stream();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).toList();
    assertEquals(5, lines.size());
    assertTrue(lines.stream().anyMatch(l -> l.contains("\"parapet_decision\":\"FLAG\"")), lines.toString());
    assertTrue(lines.stream().allMatch(l -> l.contains("\"parapet_error\":")), "nulls are written: " + lines);
    JsonNode c2 = new ObjectMapper().readTree(dir.resolve("judged.jsonl.counts.json").toFile());
    // batches of 2 in input order: {kill, hello} fine, {BOOM, null} both fail (BOOM fails its batch; null is
    // invalid), {weather} fine; onError=open makes the failed rows ALLOW, and they are counted as errors
    assertEquals(2, c2.get("error_rows").asLong(), lines.toString());
    assertEquals(1, c2.at("/decisions/FLAG").asLong());
    assertEquals(4, c2.at("/decisions/ALLOW").asLong());
  }

  @Test
  void job_badArguments_exitTwoWithTheFix() {
    Run missing = run("--input", "x.jsonl");
    assertEquals(2, missing.rc());
    assertTrue(missing.err().contains("--input and --output are required"), missing.err());
    Run format = run("--input", "x.csv", "--output", "y.parquet", "--text-col", "t");
    assertEquals(2, format.rc());
    assertTrue(format.err().contains("cannot tell the format of 'x.csv' from its name: pass --input-format parquet|jsonl"),
        format.err());
    Run unknown = run("--input", "x.jsonl", "--output", "y.parquet", "--text-col", "t", "--colour", "red");
    assertTrue(unknown.err().contains("unknown option '--colour'"), unknown.err());
    Run remote = run("--input", "x.jsonl", "--output", "y.parquet", "--text-col", "t", "--model", "remote:http://h");
    assertEquals(2, remote.rc());
    assertTrue(remote.err().contains("model=SERVED_NAME and tokenizer=DIR are required"), remote.err());
    Path absent = dir.resolve("absent.jsonl");
    Run noInput = run("--input", absent.toString(), "--output", dir.resolve("o.parquet").toString(), "--text-col", "t");
    assertEquals(2, noInput.rc(), noInput.err());
    assertTrue(noInput.err().contains("cannot read or write"), noInput.err());
  }
}
