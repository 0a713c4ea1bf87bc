package dev.parapet.guard.onnx.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs ONNX Runtime's one-time native initialisation on a thread whose stack fits the process's command line.
 *
 * <p>Why: on Linux, ONNX Runtime 1.29's telemetry ({@code PosixTelemetry}, built on Microsoft's 1DS C++ client SDK)
 * collects device information when the first environment is created, on the creating thread: it reads
 * {@code /etc/os-release}, {@code /etc/machine-id} and {@code /proc/self/cmdline} and matches the command line
 * with a {@code std::regex}. libstdc++'s regex executor recurses per character (GCC bug 86164), about 256 bytes
 * of stack per character of the command line (measured with ONNX Runtime 1.29.0 on x86-64), so a command line
 * over about 3.9 KB overflows a Java thread's default 1 MB stack: {@code mvn spring-boot:run} and any other
 * {@code java -cp <many jars>} died with SIGSEGV while the model loaded. The overflow runs past the JVM's guard
 * pages with no room left for its signal handler, so the kernel kills the process without an {@code hs_err}
 * file. The collection happens once per process, so later sessions on ordinary threads are not affected.
 *
 * <p>The stack is reserved address space, touched only as deep as the recursion goes. Setting
 * {@code ORT_DISABLE_TELEMETRY=1} in the process environment skips the telemetry, and with it the crash.
 */
final class NativeInitThread {
  /** Twice the measured ~256 bytes per command-line character. */
  static final long BYTES_PER_CHAR = 512;
  /** What the rest of the initialisation gets, whatever the command line. */
  static final long BASE_BYTES = 16L << 20;

  private NativeInitThread() {}

  /**
   * Runs {@code work} on a fresh daemon thread with {@link #stackBytes(long)} of stack and returns its result;
   * its unchecked exceptions and errors (an {@link UnsatisfiedLinkError}, say) are rethrown as they are. Waits
   * even when the caller is interrupted (the native initialisation cannot be abandoned half way), and then
   * restores the caller's interrupt flag.
   */
  static <T> T call(String name, Callable<T> work) {
    FutureTask<T> task = new FutureTask<>(work);
    Thread t = new Thread(null, task, name, stackBytes(commandLineLength()));
    t.setDaemon(true);
    t.start();
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return task.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException(name + " failed: " + cause, cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The stack for a command line of {@code chars} characters ({@code < 0}: unknown). */
  static long stackBytes(long chars) {
    return BASE_BYTES + Math.max(0, chars) * BYTES_PER_CHAR;
  }

  /** The length of this process's command line, or -1 where {@code /proc/self/cmdline} cannot be read. */
  static long commandLineLength() {
    try {
      return Files.readAllBytes(Path.of("/proc/self/cmdline")).length;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
