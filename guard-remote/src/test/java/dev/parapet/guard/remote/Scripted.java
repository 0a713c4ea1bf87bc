package dev.parapet.guard.remote;

import dev.parapet.guard.onnx.decoder.DecoderPrompts;
import dev.parapet.guard.remote.testing.FakeVllmServer;
import dev.parapet.guard.remote.testing.FakeVllmServer.Reply;
import dev.parapet.guard.remote.testing.FakeVllmServer.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** Test helpers: a scripted "model" behind the fake server, a settable clock, a recording sleeper. */
final class Scripted {
  private Scripted() {}

  static List<Long> key(long[] ids) {
    return Arrays.stream(ids).boxed().toList();
  }

  /**
   * Top log-probabilities in which option k of {@code read} has probability {@code probs[k]}, plus two filler
   * tokens (ids 0 and 1, unless they are options) sharing what is left, as a real model's top-k would.
   */
  static Map<Long, Double> top(DecoderPrompts.Read read, double... probs) {
    long[] opts = read.optionIds();
    Map<Long, Double> m = new LinkedHashMap<>();
    double rest = 1;
    for (int k = 0; k < probs.length; k++) {
      m.put(opts[k], Math.log(probs[k]));
      rest -= probs[k];
    }
    for (long filler = 0; filler < 2 && rest > 1e-9; filler++) {
      m.putIfAbsent(filler, Math.log(rest / 2));
    }
    return m;
  }

  /** Answers each known prompt with its top log-probabilities; an unknown prompt gets vLLM's 400. */
  static Function<Request, Reply> byPrompt(Map<List<Long>, Map<Long, Double>> answers) {
    Map<List<Long>, Map<Long, Double>> copy = new ConcurrentHashMap<>(answers);
    return r -> {
      Map<Long, Double> top = copy.get(key(r.promptIds()));
      if (top == null) {
        return Reply.error(400, "unexpected prompt of " + r.promptIds().length + " ids");
      }
      return Reply.json(200, FakeVllmServer.completion(r.json().path("model").asText(), r.promptIds().length, top));
    };
  }

  static Reply ok(DecoderPrompts.Read read, double... probs) {
    return Reply.json(200, FakeVllmServer.completion("m", read.promptIds().length, top(read, probs)));
  }

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Records each requested pause instead of sleeping. */
  static final class RecordingSleeper implements CompletionsClient.Sleeper {
    final List<Duration> pauses = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public void sleep(Duration d) {
      pauses.add(d);
    }
  }
}
