package dev.parapet.guard.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import dev.parapet.guard.testing.TestAssets;

/** LoadProbe runs once and prints the JSON line bench.sh and bench_table.py read. No timing is asserted. */
class LoadProbeTest {

  @Test
  void printsOneJsonLineWithEveryField() throws Exception {
    TestAssets.assume("default-model", BenchmarksRunOnceTest.defaultModelPresent(), "embedded default model not on the classpath");
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      LoadProbe.main(new String[] {"1"});
    } finally {
      System.setOut(old);
    }
    String line = buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("{")).findFirst()
        .orElseThrow(() -> new AssertionError("no JSON line in: " + buf));
    JsonNode j = new ObjectMapper().readTree(line);
    assertEquals(1, j.get("threads").asInt());
    // fields present and numeric (no timing is asserted; the sum below is arithmetic consistency only)
    for (String f : new String[] {"loadMs", "firstCheckMs", "coldLoadMs", "heapUsedMb", "rssBeforeMb"}) {
      assertTrue(j.hasNonNull(f) && j.get(f).isNumber(), f + " in " + line);
    }
    assertEquals(j.get("coldLoadMs").asDouble(), j.get("loadMs").asDouble() + j.get("firstCheckMs").asDouble(), 0.2,
        line);
    assertEquals("ALLOW", j.get("firstDecision").asText(), "a harmless look-alike prompt: " + line);
    if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/self/status"))) {
      assertTrue(j.get("rssMb").asDouble() > 50 && j.get("peakRssMb").asDouble() >= j.get("rssMb").asDouble(),
          line);
    }
  }

  @Test
  void statusField_missingGivesMinusOne() {
    assertEquals(-1, LoadProbe.status("NoSuchField:"), 0.0);
  }
}
