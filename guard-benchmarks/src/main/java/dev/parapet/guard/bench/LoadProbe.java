package dev.parapet.guard.bench;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Cold load and resident memory of the default guard, in a fresh JVM (JMH cannot measure either: its forks
 * are warm by the time a benchmark runs). {@code scripts/bench.sh} starts this main several times and reports
 * the medians. Prints one JSON line:
 *
 * <ul>
 *   <li>{@code jvmToMainMs}: JVM start to {@code main} (not ours; for context);
 *   <li>{@code loadMs}: {@code EncoderGuardClassifier.loadDefault} (ONNX Runtime's native library and
 *       environment, the classpath files, SHA-256 checks, tokenizer, session creation, probe runs; the loader
 *       overlaps some of these on helper threads, as a user's first load would) plus
 *       {@code Guard.builder().build()};
 *   <li>{@code firstCheckMs}: the first {@code checkPrompt} (the cache is off);
 *   <li>{@code coldLoadMs} = loadMs + firstCheckMs: from "give me a guard" to the first verdict;
 *   <li>{@code rssMb}, {@code peakRssMb}: VmRSS and VmHWM of this process after the first checks (Linux only,
 *       else -1), which includes the JVM's own heap, code cache and the native model;
 *   <li>{@code rssBeforeMb}: VmRSS at the start of {@code main}, before anything of Parapet or ONNX Runtime was
 *       loaded; {@code rssMb - rssBeforeMb} is what the loaded guard added to this JVM.
 * </ul>
 * Args: {@code [intraOpThreads]} (default 2).
 */
public final class LoadProbe {
  private LoadProbe() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    long jvmToMain = System.currentTimeMillis() - jvmStart;
    double rssBefore = status("VmRSS:");
    long t0 = System.nanoTime();
    long t1 = t0; // the runtime loads inside loadDefault (in parallel with other work), as in an application
    Verdict v;
    long t2;
    long t3;
    try (Guard guard = Guard.builder()
        .classifier(EncoderGuardClassifier.loadDefault(OnnxOptions.builder().intraOpThreads(threads).build()))
        .noCache()
        .build()) {
      t2 = System.nanoTime();
      v = guard.check(Conversation.ofPrompt("How do I kill a Python process that hangs?"));
      t3 = System.nanoTime();
      for (int i = 0; i < 20; i++) { // a few more so that resident memory reflects steady use
        guard.check(Conversation.ofPrompt("Check number " + i + ": how do I reset my router password?"));
      }
      System.out.println(String.format(Locale.ROOT,
          "{\"threads\":%d,\"jvmToMainMs\":%d,\"loadMs\":%.1f,\"firstCheckMs\":%.1f,"
              + "\"coldLoadMs\":%.1f,\"rssBeforeMb\":%.1f,\"rssMb\":%.1f,\"peakRssMb\":%.1f,\"heapUsedMb\":%.1f,"
              + "\"firstDecision\":\"%s\"}",
          threads, jvmToMain, ms(t2 - t1), ms(t3 - t2), ms(t3 - t0), rssBefore, status("VmRSS:"),
          status("VmHWM:"), (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1e6,
          v.decision()));
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** A /proc/self/status field in MB, or -1 where there is no /proc. */
  static double status(String field) {
    Path p = Path.of("/proc/self/status");
    if (!Files.isReadable(p)) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(p)) {
        if (line.startsWith(field)) {
          String[] parts = line.substring(field.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) / 1024.0; // kB
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
