package dev.parapet.guard.onnx;

import static java.util.Objects.requireNonNull;

/**
 * How ONNX Runtime sessions are created: the device, the thread pools and the CPU memory arena. Immutable and
 * thread-safe; build one with {@link #builder()} or take {@link #defaults()}.
 */
public final class OnnxOptions {
  private final Device device;
  private final int intraOpThreads;
  private final int interOpThreads;
  private final boolean cpuArena;

  private OnnxOptions(Builder b) {
    this.device = b.device;
    this.intraOpThreads = b.intraOpThreads;
    this.interOpThreads = b.interOpThreads;
    this.cpuArena = b.cpuArena;
  }

  /** CPU, {@code min(4, availableProcessors)} intra-op threads, 1 inter-op thread, CPU memory arena off. */
  public static OnnxOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.device = device;
    b.intraOpThreads = intraOpThreads;
    b.interOpThreads = interOpThreads;
    b.cpuArena = cpuArena;
    return b;
  }

  /** The device asked for (the one actually used is reported by the classifier after any fallback). */
  public Device device() {
    return device;
  }

  public int intraOpThreads() {
    return intraOpThreads;
  }

  public int interOpThreads() {
    return interOpThreads;
  }

  /** Whether ONNX Runtime's CPU memory arena is on ({@link Builder#cpuArena(boolean)}). */
  public boolean cpuArena() {
    return cpuArena;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OnnxOptions other
        && other.device.equals(device)
        && other.intraOpThreads == intraOpThreads
        && other.interOpThreads == interOpThreads
        && other.cpuArena == cpuArena;
  }

  @Override
  public int hashCode() {
    return ((device.hashCode() * 31 + intraOpThreads) * 31 + interOpThreads) * 31 + Boolean.hashCode(cpuArena);
  }

  @Override
  public String toString() {
    return "OnnxOptions[device=" + device + ", intraOpThreads=" + intraOpThreads
        + ", interOpThreads=" + interOpThreads + ", cpuArena=" + cpuArena + "]";
  }

  /** Builds {@link OnnxOptions}; each setter checks its value. Reusable, not thread-safe. */
  public static final class Builder {
    private Device device = Device.cpu();
    private int intraOpThreads = Math.min(4, Runtime.getRuntime().availableProcessors());
    private int interOpThreads = 1;
    private boolean cpuArena = false;

    private Builder() {}

    public Builder device(Device device) {
      this.device = requireNonNull(device, "device");
      return this;
    }

    /** Threads used inside one operator (matrix multiplies); must be in [1, 1024]. */
    public Builder intraOpThreads(int n) {
      this.intraOpThreads = checkThreads("intraOpThreads", n);
      return this;
    }

    /** Threads used to run independent operators in parallel; must be in [1, 1024]. */
    public Builder interOpThreads(int n) {
      this.interOpThreads = checkThreads("interOpThreads", n);
      return this;
    }

    /**
     * ONNX Runtime's CPU memory arena ({@code SessionOptions.setCPUArenaAllocator}) and, with it, memory-pattern
     * planning ({@code setMemoryPatternOptimization}). Off by default: with the arena
     * on, RSS kept growing by about 165 kB per Guard build/close cycle after 100 cycles, with it off by about 73 kB,
     * at the same soak throughput (guard-benchmarks/RESULTS.md, soak section; embedded model). Turn it on for a
     * large decoder whose speed you measured to gain from it.
     */
    public Builder cpuArena(boolean on) {
      this.cpuArena = on;
      return this;
    }

    public OnnxOptions build() {
      return new OnnxOptions(this);
    }

    private static int checkThreads(String what, int n) {
      if (n < 1 || n > 1024) {
        throw new IllegalArgumentException(what + " must be in [1, 1024], was " + n);
      }
      return n;
    }
  }
}
