package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression test for the SIGSEGV of {@code mvn spring-boot:run}: ONNX Runtime 1.29's Linux telemetry matches
 * {@code /proc/self/cmdline} with a recursive {@code std::regex} while the first environment is created, which
 * overflowed the 1 MB stack of the loading thread once the command line passed about 3.9 KB (see
 * {@code NativeInitThread}). Here a forked JVM with a 40,000-character command line (what a {@code -cp} of a few
 * hundred jars gives; a 1 MB stack held about 3,900 characters and an 8 MB one about 32,000) loads the real default
 * model on its main thread and judges a prompt. Without the big-stack initialisation it dies with exit 139.
 */
class LongCommandLineLoadTest {
  @TempDir
  Path tmp;

  @Test
  void aJvmWithALongCommandLine_loadsTheDefaultModelAndJudges() throws Exception {
    SharedModel.assumeModel();
    String pad = "x".repeat(40_000);
    Path out = tmp.resolve("out.txt");
    Process p = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-Dparapet.test.pad=" + pad,
        // surefire's class path (a manifest jar, or the jars themselves): the same classes as this test
        "-cp", System.getProperty("java.class.path"),
        LongCommandLineMain.class.getName()))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String log = read(out);
    assertTrue(done, "the forked JVM did not finish in 120 s:\n" + log);
    assertEquals(0, p.exitValue(), "the forked JVM with a long command line failed (139 = SIGSEGV):\n" + log);
    assertTrue(log.contains("JUDGED ALLOW failure=false"), log);
  }

  private static String read(Path f) throws IOException {
    return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
  }
}
