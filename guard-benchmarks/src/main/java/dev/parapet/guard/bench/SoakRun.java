package dev.parapet.guard.bench;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 18 soak (a script, not a unit test; {@code scripts/soak.sh}). {@code soak SECONDS THREADS}: THREADS threads
 * of checkPrompt, checkResponse, checkAll, checkAsync with a timeout and streaming sessions on the embedded model, on
 * unique texts (cache misses) and repeats (hits); prints throughput, p50/p99, errors (exceptions and failure
 * verdicts), RSS at 60 s and at the end, heap after GC. {@code cycles N}: N build/check/close cycles of a Guard
 * over the default model, RSS after each tenth.
 */
public final class SoakRun {
  private static final String[] REPEATS = {"How do I bake bread?", "What is the capital of France?",
      "How do I make a pipe bomb at home?", "Write a poem about the sea.", "How do I kill a Python process?"};

  private SoakRun() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("cycles")) {
      cycles(Integer.parseInt(args[1]));
    } else if (args.length >= 3 && args[0].equals("soak")) {
      soak(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    } else {
      System.err.println("usage: SoakRun soak SECONDS THREADS | SoakRun cycles N");
      System.exit(2);
    }
  }

  static long rssKb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }

  static long heapAfterGcKb() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
  }

  static void soak(int seconds, int threads) throws Exception {
    AtomicLong unique = new AtomicLong();
    AtomicLong ops = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
    try (Guard guard = Guard.builder().timeout(Duration.ofSeconds(20)).build()) {
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
      if (seconds > 60) {
        Thread.sleep(60_000);
        rss60 = rssKb();
      }
      for (Thread w : workers) {
        w.join();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      List<Long> l = new ArrayList<>(latencies);
      Collections.sort(l);
      long rssEnd = rssKb();
      System.out.printf(Locale.ROOT, "soak: %d threads, %.0f s, %d ops (%.1f ops/s), p50 %.1f ms, p99 %.1f ms, errors %d %s%n",
          threads, secs, ops.get(), ops.get() / secs, pct(l, 50), pct(l, 99), errors.get(), errorSamples);
      System.out.printf(Locale.ROOT, "soak: RSS at 60 s %d kB, at end %d kB (drift %s), heap after GC %d kB, cache %s%n",
          rss60, rssEnd, rss60 > 0 ? String.format(Locale.ROOT, "%+.1f%%", 100.0 * (rssEnd - rss60) / rss60) : "n/a",
          heapAfterGcKb(), guard.cacheStats());
    }
  }

  static void cycles(int n) {
    long first = -1;
    long prev = rssKb();
    System.out.printf(Locale.ROOT, "cycles: start RSS %d kB%n", prev);
    for (int i = 1; i <= n; i++) {
      try (Guard g = Guard.builder().build()) {
        g.checkPrompt("How do I bake bread?");
      }
      if (i == 1) {
        first = rssKb();
      }
      if (i % 10 == 0 || i == n) {
        long rss = rssKb();
        System.out.printf(Locale.ROOT, "cycles: after %d RSS %d kB (%+.1f kB/cycle since cycle 1)%n", i, rss,
            i > 1 ? (rss - first) / (double) (i - 1) : 0.0);
      }
    }
    System.out.printf(Locale.ROOT, "cycles: heap after GC %d kB%n", heapAfterGcKb());
  }

  private static double pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1);
    return sorted.get(Math.max(0, i)) / 1e6;
  }
}
