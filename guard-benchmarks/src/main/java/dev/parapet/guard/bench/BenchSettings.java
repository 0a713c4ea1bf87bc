package dev.parapet.guard.bench;

/**
 * Settings shared by the benchmarks, read from system properties so that {@code scripts/bench.sh} can pass them
 * to the forked JVMs with {@code -jvmArgsAppend}.
 */
final class BenchSettings {
  private BenchSettings() {}

  /** ONNX Runtime intra-op threads: {@code -Dparapet.bench.threads}, default 2 (the target machine's cores). */
  static int intraOpThreads() {
    int n = Integer.getInteger("parapet.bench.threads", 2);
    if (n < 1) {
      throw new IllegalArgumentException("-Dparapet.bench.threads must be >= 1, was " + n);
    }
    return n;
  }
}
