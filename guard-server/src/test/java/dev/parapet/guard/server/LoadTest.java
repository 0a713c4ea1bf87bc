package dev.parapet.guard.server;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded load generator (not a unit test; run by scripts/load.sh). Two modes:
 *
 * <ul>
 *   <li>{@code http URL SECONDS CLIENTS [SLICE]}: CLIENTS threads, each sending one POST /v1/moderations at a time
 *       with a mixed-length prompt, for SECONDS; prints throughput, p50/p99 of 200s, and counts by outcome:
 *       {@code served} (a verdict), {@code failClosed} (a 200 whose verdict is BLOCK with a {@code failure} reason in
 *       the {@code parapet} object: the backend failed), {@code failNotBlocked} (a failure that was not blocked: a
 *       defect under the default fail-closed policy), {@code 429}, other statuses, client-side timeouts and
 *       connection errors; {@code errors=} sums everything that is neither a verdict nor a 429 (must be 0). With
 *       SLICE seconds, the same counts per time slice (to watch a backend fault and the recovery);
 *   <li>{@code inprocess SECONDS BATCH}: the embedded default model in this JVM, {@code Guard.checkAll} over batches
 *       of the same prompts, for SECONDS; prints texts/s.
 * </ul>
 *
 * Loopback only; every request has a 30 s timeout.
 */
public final class LoadTest {
  private LoadTest() {}

  private static final String[] WORDS = ("the a river bread garden computer music teacher window morning friend "
      + "recipe history question travel weather library answer story winter market letter planet engine").split(" ");

  /** Prompt i: short (8 words), medium (60) or long (300), in a 5:3:2 mix; unique per i (no cache effects). */
  static String prompt(long i) {
    int kind = (int) (i % 10);
    int words = kind < 5 ? 8 : kind < 8 ? 60 : 300;
    StringBuilder sb = new StringBuilder("Request ").append(i).append(':');
    long x = i * 2654435761L;
    for (int w = 0; w < words; w++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      sb.append(' ').append(WORDS[(int) ((x >>> 33) % WORDS.length)]);
    }
    return sb.append('.').toString();
  }

  public static void main(String[] args) throws Exception {
    if ((args.length == 4 || args.length == 5) && args[0].equals("http")) {
      http(URI.create(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
          args.length == 5 ? Integer.parseInt(args[4]) : 0);
    } else if (args.length == 3 && args[0].equals("inprocess")) {
      inProcess(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    } else {
      System.err.println("usage: LoadTest http URL SECONDS CLIENTS [SLICE_SECONDS] | LoadTest inprocess SECONDS BATCH");
      System.exit(2);
    }
  }

  /** A 200's outcome: every result served, or the first failure's kind (its message goes into {@code reasons}). */
  static String classify(String body, Map<String, String> reasons) {
    try {
      for (com.fasterxml.jackson.databind.JsonNode r : Requests.JSON.readTree(body).path("results")) {
        com.fasterxml.jackson.databind.JsonNode p = r.path("parapet");
        if (p.has("failure")) {
          String m = p.path("failure").path("message").asText();
          if (reasons.size() < 5) { // a few distinct reasons, to show what a client is told
            reasons.putIfAbsent(m.replaceAll("\\d+", "N"), m);
          }
          return p.path("decision").asText().equals("BLOCK") && r.path("flagged").asBoolean()
              ? "failClosed" : "failNotBlocked";
        }
      }
      return "served";
    } catch (java.io.IOException e) {
      return "badJson";
    }
  }

  static void http(URI base, int seconds, int clients, int slice) throws Exception {
    int slices = slice > 0 ? (seconds + slice - 1) / slice : 0;
    List<Map<String, LongAdder>> perSlice = new ArrayList<>();
    for (int i = 0; i < slices; i++) {
      perSlice.add(new ConcurrentHashMap<>());
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .executor(Executors.newFixedThreadPool(4)).build();
    URI uri = base.resolve("/v1/moderations");
    Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    Map<String, String> reasons = new ConcurrentHashMap<>();
    List<long[]> latencies = new ArrayList<>();
    AtomicLong ids = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      long[] lat = new long[200_000];
      latencies.add(lat);
      int slot = c;
      pool.submit(() -> {
        int n = 0;
        while (System.nanoTime() < end) {
          String body = "{\"input\":" + Requests.JSON.valueToTree(prompt(ids.getAndIncrement())) + "}";
          HttpRequest r = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
          long t0 = System.nanoTime();
          String outcome;
          try {
            HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
            outcome = resp.statusCode() == 200 ? classify(resp.body(), reasons) : Integer.toString(resp.statusCode());
            if (outcome.equals("served") && n < lat.length - 1) {
              lat[n++] = System.nanoTime() - t0;
            }
          } catch (java.net.http.HttpTimeoutException e) {
            outcome = "timeout";
          } catch (Exception e) {
            outcome = "error:" + e.getClass().getSimpleName();
          }
          outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
          int at = (int) ((t0 - start) / TimeUnit.SECONDS.toNanos(Math.max(1, slice)));
          if (at < slices) {
            perSlice.get(at).computeIfAbsent(outcome, k -> new LongAdder()).increment();
          }
          if (outcome.equals("429")) {
            Thread.onSpinWait(); // a real client would honour Retry-After; the test keeps the pressure on
          }
        }
        lat[lat.length - 1] = n; // the count rides in the last slot
        return null;
      });
    }
    pool.shutdown();
    pool.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
    double wall = (System.nanoTime() - start) / 1e9;
    long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l, 0, (int) l[l.length - 1])).sorted().toArray();
    for (int i = 0; i < slices; i++) {
      System.out.printf(Locale.ROOT, "  t=%3d-%3ds %s%n", i * slice, (i + 1) * slice, counts(perSlice.get(i)));
    }
    reasons.values().forEach(m -> System.out.println("  failure reason seen: " + m));
    Map<String, Long> counts = counts(outcomes);
    long errors = counts.entrySet().stream()
        .filter(e -> !e.getKey().equals("served") && !e.getKey().equals("failClosed") && !e.getKey().equals("429"))
        .mapToLong(Map.Entry::getValue).sum();
    System.out.printf(Locale.ROOT, "http clients=%d seconds=%.1f served=%d throughput=%.1f req/s p50=%.1f ms "
        + "p99=%.1f ms outcomes=%s errors=%d%n", clients, wall, all.length, all.length / wall, pct(all, 0.50),
        pct(all, 0.99), counts, errors);
    System.exit(0); // the HttpClient's threads
  }

  static void inProcess(int seconds, int batch) {
    try (Guard guard = Guard.builder().noCache().build()) {
      guard.checkAll(List.of(Conversation.ofPrompt(prompt(0)))); // load and warm
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long start = System.nanoTime();
      long texts = 0;
      long i = 0;
      while (System.nanoTime() < end) {
        List<Conversation> b = new ArrayList<>(batch);
        for (int k = 0; k < batch; k++) {
          b.add(Conversation.ofPrompt(prompt(i++)));
        }
        texts += guard.checkAll(b).size();
      }
      double wall = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT, "inprocess batch=%d seconds=%.1f texts=%d throughput=%.1f texts/s%n", batch, wall,
          texts, texts / wall);
    }
  }

  private static Map<String, Long> counts(Map<String, LongAdder> m) {
    Map<String, Long> c = new TreeMap<>();
    m.forEach((k, v) -> c.put(k, v.sum()));
    return c;
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e6;
  }
}
