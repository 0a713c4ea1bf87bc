package dev.parapet.guard.remote.testing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An in-process stand-in for vLLM's OpenAI-compatible server, on 127.0.0.1 only: it answers
 * {@code POST /v1/completions} with vLLM's exact response shape ({@code choices[0].logprobs} with
 * {@code tokens}, {@code token_logprobs}, {@code top_logprobs} keyed {@code "token_id:N"} when the request asks
 * {@code return_tokens_as_token_ids}, {@code text_offset}; {@code usage}) and vLLM's error body, and can misbehave
 * on purpose: hang until released, reset the connection, cut a body short, send truncated JSON.
 *
 * <p>Built on a plain {@link ServerSocket} (one request per connection, {@code Connection: close}) because a
 * connection reset (RST) and a body cut mid-stream cannot be produced with an HTTP server library. Replies come
 * from a queue of one-shot {@link Reply}s first, then from the {@link #respondWith default responder}. Every
 * request is recorded. Thread-safe. For tests and load/fault scripts ({@link #main}); never for production.
 */
public final class FakeVllmServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A recorded request. */
  public record Request(String method, String path, Map<String, String> headers, String body) {
    /** A header by lower-case name, or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The body as JSON. */
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The {@code prompt} token ids (the request must carry a list of ints). */
    public long[] promptIds() {
      JsonNode p = json().path("prompt");
      if (!p.isArray()) {
        throw new IllegalStateException("prompt is not a list of token ids: " + p);
      }
      long[] ids = new long[p.size()];
      for (int i = 0; i < ids.length; i++) {
        if (!p.get(i).isIntegralNumber()) {
          throw new IllegalStateException("prompt[" + i + "] is not an integer: " + p.get(i));
        }
        ids[i] = p.get(i).asLong();
      }
      return ids;
    }
  }

  /** What the fake does with one request. */
  public static final class Reply {
    enum Kind { HTTP, RESET, CUT, HANG }

    final Kind kind;
    final int status;
    final String body;
    final Map<String, String> headers;
    final int keepBytes;

    private Reply(Kind kind, int status, String body, Map<String, String> headers, int keepBytes) {
      this.kind = kind;
      this.status = status;
      this.body = body;
      this.headers = headers;
      this.keepBytes = keepBytes;
    }

    /** A JSON reply. */
    public static Reply json(int status, String body) {
      return new Reply(Kind.HTTP, status, body, Map.of(), -1);
    }

    /** vLLM's error body: {@code {"error": {"message", "type", "param", "code"}}}. */
    public static Reply error(int status, String message) {
      ObjectNode err = JSON.createObjectNode();
      ObjectNode e = err.putObject("error");
      e.put("message", message);
      e.put("type", status == 400 ? "BadRequestError" : status == 404 ? "NotFoundError" : "InternalServerError");
      e.putNull("param");
      e.put("code", status);
      return json(status, err.toString());
    }

    /** The body this reply sends (for HTTP replies). */
    public String body() {
      return body;
    }

    /** A copy with one more header, e.g. {@code Retry-After}. */
    public Reply withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Reply(kind, status, body, Map.copyOf(h), keepBytes);
    }

    /** Reads the request, then resets the connection (TCP RST, no response). */
    public static Reply reset() {
      return new Reply(Kind.RESET, 0, "", Map.of(), -1);
    }

    /** 200 with a Content-Length of the whole body, but only the first {@code keepBytes} sent, then close. */
    public static Reply cutBody(String body, int keepBytes) {
      return new Reply(Kind.CUT, 200, body, Map.of(), keepBytes);
    }

    /** A well-framed 200 whose JSON is cut after {@code keepChars} characters. */
    public static Reply truncatedJson(String body, int keepChars) {
      return json(200, body.substring(0, Math.min(keepChars, body.length())));
    }

    /** Sends nothing until {@link FakeVllmServer#releaseHung()} or close. */
    public static Reply hang() {
      return new Reply(Kind.HANG, 0, "", Map.of(), -1);
    }
  }

  private final ServerSocket socket;
  private final ExecutorService workers;
  private final ConcurrentLinkedQueue<Reply> queued = new ConcurrentLinkedQueue<>();
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile Function<Request, Reply> responder;
  private volatile CountDownLatch hung = new CountDownLatch(1);
  private final AtomicInteger served = new AtomicInteger();

  private FakeVllmServer(ServerSocket socket, Function<Request, Reply> responder) {
    this.socket = socket;
    this.responder = responder;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-vllm-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    workers.execute(this::acceptLoop);
  }

  /** Starts on a free port, answering 500 until a responder is set. */
  public static FakeVllmServer start() {
    return start(0);
  }

  /** Starts on {@code port} (0: a free one); reusing the port of a closed fake restarts "the same server". */
  public static FakeVllmServer start(int port) {
    try {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
      return new FakeVllmServer(s, r -> Reply.error(500, "no responder set"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the fake vLLM server to 127.0.0.1:" + port, e);
    }
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** The reply for requests when no one-shot reply is queued. */
  public FakeVllmServer respondWith(Function<Request, Reply> r) {
    this.responder = requireNonNull(r, "responder");
    return this;
  }

  /** One-shot replies, used in order before the responder. */
  public FakeVllmServer enqueue(Reply... replies) {
    queued.addAll(List.of(replies));
    return this;
  }

  /** Releases every request held by {@link Reply#hang()} (they get a closed connection). */
  public void releaseHung() {
    CountDownLatch old = hung;
    hung = new CountDownLatch(1);
    old.countDown();
  }

  /** The requests received so far, in arrival order. */
  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /**
   * Blocks until at least {@code n} requests have arrived (for tests that must know a request is in flight).
   *
   * @return whether they arrived within {@code timeout}
   */
  public boolean awaitRequests(int n, java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (requests) {
      while (requests.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(requests, left);
      }
      return true;
    }
  }

  /** Requests answered (or dropped) so far. */
  public int served() {
    return served.get();
  }

  // ---------------------------------------------------------------------------------------------------------
  // vLLM's response shapes

  /**
   * vLLM's completions response for one generated token: the sampled token is the most likely of
   * {@code topLogprobs}; keys are {@code "token_id:N"} (the request's {@code return_tokens_as_token_ids}).
   */
  public static String completion(String model, int promptTokens, Map<Long, Double> topLogprobs) {
    return completion(model, promptTokens, topLogprobs, true);
  }

  /** As {@link #completion(String, int, Map)}, with text keys ({@code "tok123"}) when {@code idKeys} is false. */
  public static String completion(String model, int promptTokens, Map<Long, Double> topLogprobs, boolean idKeys) {
    long best = -1;
    double bestLp = Double.NEGATIVE_INFINITY;
    for (Map.Entry<Long, Double> e : topLogprobs.entrySet()) {
      if (e.getValue() > bestLp) {
        best = e.getKey();
        bestLp = e.getValue();
      }
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "cmpl-" + Long.toHexString(Double.doubleToLongBits(bestLp) ^ promptTokens));
    root.put("object", "text_completion");
    root.put("created", 1_733_490_000L);
    root.put("model", model);
    ArrayNode choices = root.putArray("choices");
    ObjectNode c = choices.addObject();
    c.put("index", 0);
    c.put("text", idKeys ? "token_id:" + best : "tok" + best);
    ObjectNode lp = c.putObject("logprobs");
    lp.putArray("text_offset").add(0);
    lp.putArray("token_logprobs").add(bestLp);
    lp.putArray("tokens").add(key(best, idKeys));
    ObjectNode top = lp.putArray("top_logprobs").addObject();
    for (Map.Entry<Long, Double> e : topLogprobs.entrySet()) {
      top.put(key(e.getKey(), idKeys), e.getValue());
    }
    c.put("finish_reason", "length");
    c.putNull("stop_reason");
    c.putNull("prompt_logprobs");
    ObjectNode usage = root.putObject("usage");
    usage.put("prompt_tokens", promptTokens);
    usage.put("total_tokens", promptTokens + 1);
    usage.put("completion_tokens", 1);
    usage.putNull("prompt_tokens_details");
    root.putNull("kv_transfer_params");
    return root.toString();
  }

  private static String key(long id, boolean idKeys) {
    return idKeys ? "token_id:" + id : "tok" + id;
  }

  // ---------------------------------------------------------------------------------------------------------
  // socket handling

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        open.add(s);
        workers.execute(() -> serve(s));
      } catch (IOException e) {
        return; // closed
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      Request req = readRequest(s.getInputStream());
      if (req == null) {
        return;
      }
      synchronized (requests) {
        requests.add(req);
        requests.notifyAll();
      }
      Reply r = queued.poll();
      if (r == null) {
        r = responder.apply(req);
      }
      served.incrementAndGet();
      OutputStream out = s.getOutputStream();
      switch (r.kind) {
        case RESET -> {
          s.setSoLinger(true, 0); // close() now sends RST
        }
        case HANG -> hung.await(); // then close: the client sees a closed connection, unless it gave up first
        case CUT -> {
          byte[] body = r.body.getBytes(StandardCharsets.UTF_8);
          out.write(head(200, body.length, r.headers));
          out.write(body, 0, Math.min(r.keepBytes, body.length));
          out.flush();
        }
        case HTTP -> {
          byte[] body = r.body.getBytes(StandardCharsets.UTF_8);
          out.write(head(r.status, body.length, r.headers));
          out.write(body);
          out.flush();
        }
        default -> throw new IllegalStateException(r.kind.name());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SocketException e) {
      // the client went away (e.g. it timed out): nothing to answer
    } catch (IOException e) {
      // same
    } finally {
      open.remove(s);
    }
  }

  private static byte[] head(int status, int length, Map<String, String> headers) {
    StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    sb.append("content-type: application/json\r\n");
    sb.append("content-length: ").append(length).append("\r\n");
    sb.append("connection: close\r\n");
    headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 404 -> "Not Found";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** Request line, headers, and a Content-Length body; null when the client closed first. */
  private static Request readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
    int state = 0; // counts the \r\n\r\n terminator
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      headBytes.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
          : b == '\r' ? 1 : 0;
      if (headBytes.size() > 64 * 1024) {
        throw new IOException("request head over 64 KiB");
      }
    }
    String[] lines = headBytes.toString(StandardCharsets.US_ASCII).split("\r\n");
    String[] first = lines[0].split(" ");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
      }
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    return new Request(first[0], first.length > 1 ? first[1] : "", Map.copyOf(headers),
        new String(body, StandardCharsets.UTF_8));
  }

  /** Stops accepting, releases hung requests and closes every open connection. Idempotent. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
    hung.countDown();
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A responder that gives every token id in {@code [0, vocab)} a log-probability, a deterministic function of the
   * prompt ids: any guard family's decision tokens are then present, and different prompts get different scores.
   */
  public static Function<Request, Reply> everyTokenOf(int vocab) {
    return r -> {
      long[] ids = r.promptIds();
      long h = java.util.Arrays.hashCode(ids);
      double[] w = new double[vocab];
      double sum = 0;
      for (int i = 0; i < vocab; i++) {
        long x = (h + i) * 0x9E3779B97F4A7C15L;
        w[i] = 1 + ((x >>> 40) & 0xFFFF) / 4096.0;
        sum += w[i];
      }
      Map<Long, Double> top = new LinkedHashMap<>();
      for (int i = 0; i < vocab; i++) {
        top.put((long) i, Math.log(w[i] / sum));
      }
      return Reply.json(200, completion(r.json().path("model").asText(), ids.length, top));
    };
  }

  /**
   * Runs a fake on {@code 127.0.0.1:PORT} (first argument, default 8000) answering with {@link #everyTokenOf}
   * (vocabulary size: second argument, default 1200, the test fixtures' size) until killed; for load/fault scripts
   * (kill the process to simulate a dead server, start it again on the same port to recover).
   */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8000;
    int vocab = args.length > 1 ? Integer.parseInt(args[1]) : 1200;
    FakeVllmServer f = start(port);
    f.respondWith(everyTokenOf(vocab));
    System.out.println("fake vLLM listening on " + f.baseUrl());
    new CountDownLatch(1).await();
  }
}
