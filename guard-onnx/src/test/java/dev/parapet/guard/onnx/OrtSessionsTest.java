package dev.parapet.guard.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.internal.OrtSessions;
import dev.parapet.guard.onnx.testing.OnnxGraph;
import dev.parapet.guard.spi.Cancellation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtSessionsTest {
  @TempDir Path dir;

  /** y = x + 1, float [n]. */
  private static byte[] addOneModel() {
    OnnxGraph g = new OnnxGraph("add_one");
    g.input("x", OnnxGraph.FLOAT, "n");
    g.output("y", OnnxGraph.FLOAT, "n");
    g.node("Add", List.of("x", g.constFloat(1f)), List.of("y"));
    return g.toBytes();
  }

  private static float[] runAddOne(OrtSession s) throws Exception {
    try (OnnxTensor x = OnnxTensor.createTensor(OrtSessions.environment(), new float[] {1f, 2f});
        OrtSession.Result r = OrtSessions.run(s, Map.of("x", x), Set.of(), Cancellation.create(), "add")) {
      return (float[]) r.get(0).getValue();
    }
  }

  @Test
  void open_cpu_runsAndReportsCpu() throws Exception {
    try (OrtSessions.Opened o = OrtSessions.open(addOneModel(), OnnxOptions.defaults(), "test model")) {
      assertEquals(Device.cpu(), o.device());
      assertArrayEquals(new float[] {2f, 3f}, runAddOne(o.session()));
    }
  }

  @Test
  void open_cpuArenaOnOrOff_bothRunTheSame() throws Exception {
    assertEquals(false, OnnxOptions.defaults().cpuArena(), "the arena is off by default (bounded RSS, RESULTS.md)");
    OnnxOptions on = OnnxOptions.builder().cpuArena(true).build();
    assertTrue(on.toString().contains("cpuArena=true"), on.toString());
    assertEquals(on, OnnxOptions.defaults().toBuilder().cpuArena(true).build());
    assertTrue(!on.equals(OnnxOptions.defaults()));
    for (OnnxOptions o : List.of(on, OnnxOptions.defaults())) {
      try (OrtSessions.Opened s = OrtSessions.open(addOneModel(), o, "test model")) {
        assertArrayEquals(new float[] {2f, 3f}, runAddOne(s.session()));
        assertArrayEquals(new float[] {2f, 3f}, runAddOne(s.session()));
      }
    }
  }

  @Test
  void open_cudaOnCpuOnlyRuntime_fallsBackToCpu() throws Exception {
    // This machine has the CPU onnxruntime jar and no GPU: addCUDA throws, which is the fallback path.
    Path model = dir.resolve("model.onnx");
    Files.write(model, addOneModel());
    OnnxOptions cuda = OnnxOptions.builder().device(Device.cuda(0)).build();
    try (OrtSessions.Opened o = OrtSessions.open(model, cuda, "test model")) {
      assertEquals("cpu", o.device().toString());
      assertArrayEquals(new float[] {2f, 3f}, runAddOne(o.session()));
    }
  }

  @Test
  void open_missingOrCorruptFile_throwsModelLoadException() throws Exception {
    ModelLoadException missing = assertThrows(ModelLoadException.class,
        () -> OrtSessions.open(dir.resolve("none.onnx"), OnnxOptions.defaults(), "decoder model"));
    assertTrue(missing.getMessage().contains("decoder model not found"), missing.getMessage());
    Path bad = dir.resolve("bad.onnx");
    Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7});
    ModelLoadException corrupt = assertThrows(ModelLoadException.class,
        () -> OrtSessions.open(bad, OnnxOptions.defaults(), "decoder model"));
    assertTrue(corrupt.getMessage().startsWith("create ONNX Runtime session for decoder model"),
        corrupt.getMessage());
  }

  @Test
  void run_cancelledBefore_throwsCancellation() throws Exception {
    try (OrtSessions.Opened o = OrtSessions.open(addOneModel(), OnnxOptions.defaults(), "m");
        OnnxTensor x = OnnxTensor.createTensor(OrtSessions.environment(), new float[] {1f})) {
      Cancellation c = Cancellation.create();
      c.cancel();
      assertThrows(CancellationException.class, () -> OrtSessions.run(o.session(), Map.of("x", x), Set.of(), c, "s"));
    }
  }

  @Test
  void close_isIdempotent() {
    OrtSessions.Opened o = OrtSessions.open(addOneModel(), OnnxOptions.defaults(), "m");
    o.close();
    o.close();
    assertThrows(IllegalStateException.class, () -> runAddOne(o.session()));
  }
}
