package dev.parapet.guard.bench;

import java.lang.management.ManagementFactory;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Java heap bytes allocated per streamed token inside the timed region only, as a JMH secondary result
 * ({@code heapBytesPerToken}), and how many checks ran in that region ({@code checksInWindow}: one per 32-token
 * window at the default cadence; more with sentence-end checks). JMH's {@code -prof gc} cannot give this for the
 * streaming benchmarks: its
 * {@code gc.alloc.rate.norm} also counts the per-iteration setup that streams the first L tokens. Counts the
 * benchmark thread (checks run on it: the guards are built without a timeout). Native (ONNX Runtime) memory
 * is not counted.
 *
 * <p>JMH reports an {@code EVENTS} counter as the sum over iterations; the raw per-iteration values (what
 * {@code scripts/bench_table.py} averages) are in the JSON's {@code rawData}.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class HeapCounter {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Heap bytes per token of the last measured invocation. */
  public double heapBytesPerToken;

  /** Checks (model calls) the strategy ran in the last measured invocation. */
  public double checksInWindow;

  private long start;

  void start() {
    start = THREADS.getCurrentThreadAllocatedBytes();
  }

  void stop(int tokens) {
    heapBytesPerToken = (double) (THREADS.getCurrentThreadAllocatedBytes() - start) / tokens;
  }
}
