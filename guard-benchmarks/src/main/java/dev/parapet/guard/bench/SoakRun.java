package dev.parapet.guard.bench;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.onnx.encoder.EncoderGuardClassifier;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.stream.StreamDecision;
import dev.parapet.guard.stream.StreamingSession;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 18 soak (a script, not a unit test; {@code scripts/soak.sh}). {@code soak SECONDS THREADS [ARENA]}: THREADS
 * threads of checkPrompt, checkResponse, checkAll, checkAsync with a timeout and streaming sessions on the embedded
 * model, on unique texts (cache misses) and repeats (hits); prints throughput, p50/p99, errors (exceptions and
 * failure verdicts), RSS at 60 s and at the end, Java heap after an explicit GC. {@code cycles N [ARENA]}: N
 * build/check/close cycles of a Guard over the default model, RSS every 20 cycles and the growth per cycle over the
 * last 100. {@code burst ROUNDS THREADS}: each round THREADS threads check the same new text at once (a barrier);
 * prints classifier calls per round and rounds/s (single-flight of concurrent identical checks). ARENA is
 * {@code arena=on}, {@code arena=off} or {@code arena=default} (ONNX Runtime's CPU memory arena,
 * {@link OnnxOptions.Builder#cpuArena(boolean)}). Run it with a fixed, pre-touched heap ({@code -Xms = -Xmx},
 * {@code -XX:+AlwaysPreTouch}, as the script does): then the heap is a constant part of RSS from the start, and
 * "rest" (RSS minus the committed heap) is the native memory (ONNX Runtime, tokenizer, malloc arenas) plus the
 * JVM's own (code cache, metaspace, thread stacks).
 */
public final class SoakRun {
  private static final String[] REPEATS = {"How do I bake bread?", "What is the capital of France?",
      "How do I make a pipe bomb at home?", "Write a poem about the sea.", "How do I kill a Python process?"};

  private SoakRun() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("cycles")) {
      cycles(Integer.parseInt(args[1]), onnx(args, 2));
    } else if (args.length >= 3 && args[0].equals("soak")) {
      soak(Integer.parseInt(args[1]), Integer.parseInt(args[2]), onnx(args, 3));
    } else if (args.length >= 3 && args[0].equals("burst")) {
      burst(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
          !(args.length >= 4 && args[3].equals("single-flight=off")));
    } else {
      System.err.println("usage: SoakRun soak SECONDS THREADS [arena=on|off|default] | SoakRun cycles N"
          + " [arena=on|off|default] | SoakRun burst ROUNDS THREADS [single-flight=on|off]");
      System.exit(2);
    }
  }

  /** The ONNX options named by {@code args[i]} ({@code arena=on|off|default}; absent: the defaults). */
  static OnnxOptions onnx(String[] args, int i) {
    String a = args.length > i ? args[i] : "arena=default";
    OnnxOptions.Builder b = OnnxOptions.builder();
    switch (a) {
      case "arena=on" -> b.cpuArena(true);
      case "arena=off" -> b.cpuArena(false);
      case "arena=default" -> { }
      default -> throw new IllegalArgumentException("expected arena=on, arena=off or arena=default, was " + a);
    }
    OnnxOptions o = b.build();
    System.out.printf(Locale.ROOT, "onnx: %s, MALLOC_ARENA_MAX=%s%n", o,
        System.getenv().getOrDefault("MALLOC_ARENA_MAX", "unset"));
    return o;
  }

  static Guard.Builder guard(OnnxOptions onnx) {
    return Guard.builder().classifier(EncoderGuardClassifier.loadDefault(onnx));
  }

  static long rssKb() {
    return statusKb("VmRSS:");
  }

  /** Java heap the JVM holds from the OS (part of RSS once touched; G1 gives it back only slowly). */
  static long heapCommittedKb() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
  }

  static long heapAfterGcKb() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
  }

  static void soak(int seconds, int threads, OnnxOptions onnx) throws Exception {
    AtomicLong unique = new AtomicLong();
    AtomicLong ops = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
    try (Guard guard = guard(onnx).timeout(Duration.ofSeconds(20)).build()) {
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread w = new Thread(() -> {
          ThreadLocalRandom rnd = ThreadLocalRandom.current();
          while (System.nanoTime() < end) {
            String text = rnd.nextBoolean() ? REPEATS[rnd.nextInt(REPEATS.length)]
                : "Question number " + unique.incrementAndGet() + ": how do plants turn light into sugar?";
            long t0 = System.nanoTime();
            try {
              List<Verdict> vs = new ArrayList<>();
              switch (rnd.nextInt(5)) {
                case 0 -> vs.add(guard.checkPrompt(text));
                case 1 -> vs.add(guard.checkResponse(text, "Here is a short and harmless answer about " + text));
                case 2 -> vs.addAll(guard.checkAll(List.of(Conversation.ofPrompt(text),
                    Conversation.ofPrompt(text + " Please explain."))));
                case 3 -> vs.add(guard.checkAsync(Conversation.ofPrompt(text)).get(30, TimeUnit.SECONDS));
                default -> {
                  try (StreamingSession s = guard.openStream(Conversation.ofPrompt(text))) {
                    for (int i = 0; i < 64; i++) {
                      s.onToken(" word" + (i % 7));
                    }
                    StreamDecision d = s.finish();
                    d.verdict().ifPresent(vs::add);
                  }
                }
              }
              for (Verdict v : vs) {
                if (v.failure().isPresent()) {
                  errors.incrementAndGet();
                  if (errorSamples.size() < 5) {
                    errorSamples.add(v.failure().get().toString());
                  }
                }
              }
            } catch (Exception e) {
              errors.incrementAndGet();
              if (errorSamples.size() < 5) {
                errorSamples.add(e.toString());
              }
            }
            latencies.add(System.nanoTime() - t0);
            ops.incrementAndGet();
          }
        }, "soak-" + t);
        w.start();
        workers.add(w);
      }
      long rss60 = -1;
      long rest60 = -1;
      // one RSS sample a minute, so a plateau (or a steady climb) shows, not just the two ends
      for (int minute = 1; start + TimeUnit.MINUTES.toNanos(minute) < end; minute++) {
        long wake = start + TimeUnit.MINUTES.toNanos(minute);
        Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(wake - System.nanoTime())));
        long rss = rssKb();
        if (minute == 1) {
          rss60 = rss;
          rest60 = rss - heapCommittedKb();
        }
        System.out.printf(Locale.ROOT, "soak: at %d min RSS %d kB (Java heap committed %d kB, rest %d kB), %d ops%n",
            minute, rss, heapCommittedKb(), rss - heapCommittedKb(), ops.get());
      }
      for (Thread w : workers) {
        w.join();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      List<Long> l = new ArrayList<>(latencies);
      Collections.sort(l);
      long rssEnd = rssKb();
      long restEnd = rssEnd - heapCommittedKb();
      System.out.printf(Locale.ROOT, "soak: %d threads, %.0f s, %d ops (%.1f ops/s), p50 %.1f ms, p99 %.1f ms, errors %d %s%n",
          threads, secs, ops.get(), ops.get() / secs, pct(l, 50), pct(l, 99), errors.get(), errorSamples);
      System.out.printf(Locale.ROOT, "soak: RSS at 60 s %d kB (rest %d kB), at end %d kB (rest %d kB, drift %s), peak %d kB,"
          + " heap after GC %d kB (committed %d kB), cache %s%n", rss60, rest60, rssEnd, restEnd,
          rss60 > 0 ? String.format(Locale.ROOT, "%+.1f%%", 100.0 * (rssEnd - rss60) / rss60) : "n/a",
          statusKb("VmHWM:"), heapAfterGcKb(), heapCommittedKb(), guard.cacheStats());
    }
  }

  static void cycles(int n, OnnxOptions onnx) {
    long[] rss = new long[n + 1];
    rss[0] = rssKb();
    System.out.printf(Locale.ROOT, "cycles: start RSS %d kB%n", rss[0]);
    for (int i = 1; i <= n; i++) {
      try (Guard g = guard(onnx).build()) {
        g.checkPrompt("How do I bake bread?");
      }
      rss[i] = rssKb();
      if (i % 20 == 0 || i == n) {
        System.out.printf(Locale.ROOT, "cycles: after %d RSS %d kB (Java heap committed %d kB, rest %d kB)%n", i,
            rss[i], heapCommittedKb(), rss[i] - heapCommittedKb());
      }
    }
    // growth per cycle over the last 100 (or the second half of a shorter run): a least-squares slope, so that one
    // noisy reading at either end does not decide it
    int from = Math.max(1, n >= 200 ? n - 100 : n / 2);
    System.out.printf(Locale.ROOT, "cycles: %d done, RSS %d -> %d kB, growth over cycles %d-%d: %+.2f kB/cycle"
        + " (first %d: %+.2f kB/cycle), peak %d kB, heap after GC %d kB (committed %d kB)%n", n, rss[0], rss[n],
        from, n, slope(rss, from, n), from, slope(rss, 1, from), statusKb("VmHWM:"), heapAfterGcKb(),
        heapCommittedKb());
  }

  static double slope(long[] y, int from, int to) {
    int k = to - from + 1;
    if (k < 2) {
      return 0;
    }
    double mx = (from + to) / 2.0;
    double my = 0;
    for (int i = from; i <= to; i++) {
      my += y[i];
    }
    my /= k;
    double num = 0;
    double den = 0;
    for (int i = from; i <= to; i++) {
      num += (i - mx) * (y[i] - my);
      den += (i - mx) * (i - mx);
    }
    return num / den;
  }

  /**
   * ROUNDS rounds of THREADS threads checking the same new prompt at once: how many classifications each round
   * costs and the rounds per second. With {@code singleFlight} the cache is on, so concurrent identical checks
   * share one classification; without it the cache is off and every caller classifies (the comparison).
   */
  static void burst(int rounds, int threads, boolean singleFlight) throws Exception {
    Counting counting = new Counting(EncoderGuardClassifier.loadDefault());
    Guard.Builder builder = Guard.builder().classifier(counting).timeout(Duration.ofSeconds(30));
    if (!singleFlight) {
      builder.noCache();
    }
    try (Guard guard = builder.build()) {
      guard.checkPrompt("warm-up");
      long base = counting.calls.get();
      CyclicBarrier barrier = new CyclicBarrier(threads);
      AtomicLong errors = new AtomicLong();
      AtomicLong disagreements = new AtomicLong();
      java.util.concurrent.ConcurrentHashMap<Integer, Verdict> first = new java.util.concurrent.ConcurrentHashMap<>();
      List<Thread> workers = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        Thread w = new Thread(() -> {
          for (int r = 0; r < rounds; r++) {
            String text = "Round " + r + ": " + REPEATS[r % REPEATS.length];
            try {
              barrier.await(60, TimeUnit.SECONDS);
              Verdict v = guard.checkPrompt(text);
              if (v.failure().isPresent()) {
                errors.incrementAndGet();
              }
              Verdict prev = first.putIfAbsent(r, v);
              if (prev != null && (prev.decision() != v.decision() || !prev.scores().equals(v.scores()))) {
                disagreements.incrementAndGet();
              }
            } catch (Exception e) {
              errors.incrementAndGet();
            }
          }
        }, "burst-" + t);
        w.start();
        workers.add(w);
      }
      for (Thread w : workers) {
        w.join();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      long calls = counting.calls.get() - base;
      System.out.printf(Locale.ROOT, "burst (single-flight %s): %d rounds x %d threads, %.1f s, %.2f rounds/s (%.1f checks/s),"
          + " classifier calls %d (%.2f per round), errors %d, differing verdicts %d, cache %s%n",
          singleFlight ? "on" : "off", rounds, threads,
          secs, rounds / secs, rounds * threads / secs, calls, calls / (double) rounds, errors.get(),
          disagreements.get(), guard.cacheStats());
    }
  }

  /** Counts the classifications that reach the model. */
  private static final class Counting implements Classifier {
    final AtomicLong calls = new AtomicLong();
    private final Classifier delegate;

    Counting(Classifier delegate) {
      this.delegate = delegate;
    }

    @Override
    public ClassifierInfo info() {
      return delegate.info();
    }

    @Override
    public Scores classify(ClassificationRequest request) {
      calls.incrementAndGet();
      return delegate.classify(request);
    }

    @Override
    public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
      calls.addAndGet(requests.size());
      return delegate.classifyBatch(requests);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  static long statusKb(String field) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith(field)) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }

  private static double pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1);
    return sorted.get(Math.max(0, i)) / 1e6;
  }
}
