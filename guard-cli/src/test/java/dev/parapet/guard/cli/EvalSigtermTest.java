package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 14: {@code parapet eval} in a forked JVM ({@link SlowFakeCli}: the real command over a keyword
 * classifier at ~5 ms a check), killed with SIGTERM mid-run, leaves every prediction it made in predictions.jsonl
 * and a metrics.partial.json over them.
 */
class EvalSigtermTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void eval_killedBySigterm_leavesPredictionsAndAPartialReport() throws Exception {
    Path data = dir.resolve("big.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      lines.add("{\"id\":\"r" + i + "\",\"prompt\":\"What is a good recipe number " + i + " for bread?\",\"label\":\""
          + (i % 2 == 0 ? "safe" : "unsafe") + "\"}");
    }
    Files.write(data, lines, StandardCharsets.UTF_8);
    Path out = dir.resolve("out");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SlowFakeCli.class.getName(),
        "eval", "--data", data.toString(), "--out", out.toString(), "--no-progress")
        .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
    try {
      Path preds = out.resolve("predictions.jsonl");
      // bounded wait for the run to get going (model load + first checks), then SIGTERM
      for (int i = 0; i < 1200 && p.isAlive() && countLines(preds) < 50; i++) {
        Thread.sleep(100);
      }
      assertTrue(p.isAlive(), "eval ended before it could be killed: " + Files.readString(dir.resolve("log.txt")));
      assertTrue(countLines(preds) >= 50, "no predictions written: " + Files.readString(dir.resolve("log.txt")));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "eval did not stop after SIGTERM");
      String log = Files.readString(dir.resolve("log.txt"));
      List<String> written = Files.readAllLines(preds, StandardCharsets.UTF_8).stream()
          .filter(l -> !l.isBlank()).toList();
      assertTrue(written.size() >= 50 && written.size() < 20_000, written.size() + " lines\n" + log);
      for (String l : written) {
        JsonNode n = JSON.readTree(l); // every line complete: written and flushed one at a time
        assertTrue(n.get("id").asText().startsWith("r") && n.has("decision"), l);
      }
      JsonNode partial = JSON.readTree(out.resolve("metrics.partial.json").toFile());
      assertTrue(partial.get("partial").asBoolean(), partial.toString());
      assertEquals(20_000, partial.get("recordsTotal").asInt());
      assertTrue(partial.get("recordsScored").asInt() >= written.size() - 1, partial.toString());
      assertTrue(log.contains("stopped after"), log);
    } finally {
      p.destroyForcibly();
    }
  }

  private static long countLines(Path f) throws Exception {
    File file = f.toFile();
    if (!file.isFile()) {
      return 0;
    }
    try (var s = Files.lines(f, StandardCharsets.UTF_8)) {
      return s.count();
    }
  }
}
