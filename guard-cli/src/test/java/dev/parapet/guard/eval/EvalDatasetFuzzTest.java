package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Fuzzes eval JSONL reading: any bytes give records and malformed lines (never an exception in lenient mode;
 * only {@link MalformedDataException} in strict mode), every line number is within the input, and nothing is
 * lost: records + malformed + blank lines = lines.
 */
class EvalDatasetFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void read(byte[] data) throws IOException {
    EvalDataset d = EvalDataset.read("fuzz.jsonl", new ByteArrayInputStream(data), 0, false);
    long lines = 0;
    for (byte b : data) {
      lines += b == '\n' ? 1 : 0;
    }
    long max = data.length == 0 ? 0 : (data[data.length - 1] == '\n' ? lines : lines + 1);
    for (EvalRecord r : d.records()) {
      assertTrue(r.line() >= 1 && r.line() <= max, "record line " + r.line() + " of " + max);
    }
    for (MalformedLine m : d.malformed()) {
      assertTrue(m.line() >= 1 && m.line() <= max, "malformed line " + m.line() + " of " + max);
    }
    assertTrue(d.records().size() + d.malformed().size() <= max);
    try {
      EvalDataset strict = EvalDataset.read("fuzz.jsonl", new ByteArrayInputStream(data), 0, true);
      assertTrue(d.malformed().isEmpty() && strict.records().size() == d.records().size());
    } catch (MalformedDataException expected) {
      assertTrue(!d.malformed().isEmpty(), "strict mode threw although lenient found nothing malformed");
    }
  }
}
