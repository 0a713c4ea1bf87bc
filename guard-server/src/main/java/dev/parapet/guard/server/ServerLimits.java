package dev.parapet.guard.server;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The limits a {@link ParapetServer} enforces. Immutable and thread-safe; build with {@link #builder()}.
 *
 * <ul>
 *   <li>{@code maxBodyBytes}: a larger request body gets 413 (default 1 MiB);
 *   <li>{@code maxTextChars}: a longer single text gets 400 naming it (default 32,000 chars);
 *   <li>{@code maxInputs}: most texts in one moderation request or turns in one check (default 64);
 *   <li>{@code workers} / {@code queueCapacity}: model work runs on a fixed pool with a bounded queue; when both
 *       are full the request gets 429 with {@code Retry-After} (defaults: 2 workers, 64 queued);
 *   <li>{@code deadline}: queue wait plus check; when it passes the Guard's failure mode decides (default 10 s);
 *   <li>{@code maxSessions} / {@code sessionIdleTimeout}: open streaming sessions and how long an idle one lives
 *       (defaults 256, 2 minutes);
 *   <li>{@code retryAfter}: the {@code Retry-After} value sent with 429 (default 1 s);
 *   <li>{@code shutdownTimeout}: how long {@link ParapetServer#close()} waits for in-flight requests (default 30 s).
 * </ul>
 */
public final class ServerLimits {
  private final long maxBodyBytes;
  private final int maxTextChars;
  private final int maxInputs;
  private final int workers;
  private final int queueCapacity;
  private final Duration deadline;
  private final int maxSessions;
  private final Duration sessionIdleTimeout;
  private final Duration retryAfter;
  private final Duration shutdownTimeout;

  private ServerLimits(Builder b) {
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxTextChars = b.maxTextChars;
    this.maxInputs = b.maxInputs;
    this.workers = b.workers;
    this.queueCapacity = b.queueCapacity;
    this.deadline = b.deadline;
    this.maxSessions = b.maxSessions;
    this.sessionIdleTimeout = b.sessionIdleTimeout;
    this.retryAfter = b.retryAfter;
    this.shutdownTimeout = b.shutdownTimeout;
  }

  /** The defaults listed in the class comment. */
  public static ServerLimits defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxBodyBytes = maxBodyBytes;
    b.maxTextChars = maxTextChars;
    b.maxInputs = maxInputs;
    b.workers = workers;
    b.queueCapacity = queueCapacity;
    b.deadline = deadline;
    b.maxSessions = maxSessions;
    b.sessionIdleTimeout = sessionIdleTimeout;
    b.retryAfter = retryAfter;
    b.shutdownTimeout = shutdownTimeout;
    return b;
  }

  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  public int maxTextChars() {
    return maxTextChars;
  }

  public int maxInputs() {
    return maxInputs;
  }

  public int workers() {
    return workers;
  }

  public int queueCapacity() {
    return queueCapacity;
  }

  public Duration deadline() {
    return deadline;
  }

  public int maxSessions() {
    return maxSessions;
  }

  public Duration sessionIdleTimeout() {
    return sessionIdleTimeout;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  @Override
  public String toString() {
    return "ServerLimits[maxBodyBytes=" + maxBodyBytes + ", maxTextChars=" + maxTextChars + ", maxInputs="
        + maxInputs + ", workers=" + workers + ", queueCapacity=" + queueCapacity + ", deadline=" + deadline
        + ", maxSessions=" + maxSessions + ", sessionIdleTimeout=" + sessionIdleTimeout + ", retryAfter="
        + retryAfter + ", shutdownTimeout=" + shutdownTimeout + "]";
  }

  /** Builds {@link ServerLimits}; each setter checks its value at once. Reusable, not thread-safe. */
  public static final class Builder {
    private long maxBodyBytes = 1 << 20;
    private int maxTextChars = 32_000;
    private int maxInputs = 64;
    private int workers = 2;
    private int queueCapacity = 64;
    private Duration deadline = Duration.ofSeconds(10);
    private int maxSessions = 256;
    private Duration sessionIdleTimeout = Duration.ofMinutes(2);
    private Duration retryAfter = Duration.ofSeconds(1);
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    private Builder() {}

    public Builder maxBodyBytes(long n) {
      this.maxBodyBytes = atLeast("maxBodyBytes", n, 64);
      return this;
    }

    public Builder maxTextChars(int n) {
      this.maxTextChars = (int) atLeast("maxTextChars", n, 1);
      return this;
    }

    public Builder maxInputs(int n) {
      this.maxInputs = (int) atLeast("maxInputs", n, 1);
      return this;
    }

    public Builder workers(int n) {
      this.workers = (int) atLeast("workers", n, 1);
      return this;
    }

    /** Requests waiting for a worker; 0: only as many requests as workers, the rest get 429. */
    public Builder queueCapacity(int n) {
      this.queueCapacity = (int) atLeast("queueCapacity", n, 0);
      return this;
    }

    public Builder deadline(Duration d) {
      this.deadline = positive("deadline", d);
      return this;
    }

    public Builder maxSessions(int n) {
      this.maxSessions = (int) atLeast("maxSessions", n, 1);
      return this;
    }

    public Builder sessionIdleTimeout(Duration d) {
      this.sessionIdleTimeout = positive("sessionIdleTimeout", d);
      return this;
    }

    public Builder retryAfter(Duration d) {
      this.retryAfter = positive("retryAfter", d);
      return this;
    }

    public Builder shutdownTimeout(Duration d) {
      this.shutdownTimeout = positive("shutdownTimeout", d);
      return this;
    }

    public ServerLimits build() {
      return new ServerLimits(this);
    }

    private static long atLeast(String name, long n, long min) {
      if (n < min) {
        throw new IllegalArgumentException(name + " must be >= " + min + ", was " + n);
      }
      return n;
    }

    private static Duration positive(String name, Duration d) {
      requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }
  }
}
