package dev.parapet.guard.server;

import dev.parapet.guard.Guard;
import dev.parapet.guard.Ticker;
import dev.parapet.guard.stream.StreamingSession;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open streaming sessions: bounded in number, each expiring after an idle timeout measured by an injected
 * {@link Ticker}. A session is used by one request at a time (a second concurrent request gets 409), since a
 * {@link StreamingSession} is single-threaded. Ids are 128 random bits: a session holds user text, so its id must
 * not be guessable. Thread-safe: the map is concurrent and each entry's state changes under its own lock.
 */
final class StreamRegistry implements AutoCloseable {
  private final ConcurrentHashMap<String, Entry> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Ticker ticker;
  private final int maxSessions;
  private final long idleNanos;
  private final long retryAfterSeconds;

  StreamRegistry(ServerLimits limits, Ticker ticker) {
    this.ticker = ticker;
    this.maxSessions = limits.maxSessions();
    this.idleNanos = limits.sessionIdleTimeout().toNanos();
    this.retryAfterSeconds = Math.max(1, (limits.retryAfter().toMillis() + 999) / 1000);
  }

  /** One session, the guard it came from (closed with it when {@code ownsGuard}) and its use state. */
  static final class Entry {
    final String id;
    final StreamingSession session;
    private final Guard guard;
    private final boolean ownsGuard;
    private long lastUsed;
    private boolean busy;
    private boolean removed;
    private boolean closed;

    private Entry(String id, StreamingSession session, Guard guard, boolean ownsGuard, long now) {
      this.id = id;
      this.session = session;
      this.guard = guard;
      this.ownsGuard = ownsGuard;
      this.lastUsed = now;
    }

    Guard guard() {
      return guard;
    }

    private synchronized boolean closeIfIdle() {
      if (busy || closed) {
        return false;
      }
      closed = true;
      session.close();
      if (ownsGuard) {
        guard.close();
      }
      return true;
    }
  }

  /** Fails fast with 429 when no more sessions may open (checked before the session is created). */
  void ensureRoom() {
    sweep();
    if (sessions.size() >= maxSessions) {
      throw full();
    }
  }

  /** Registers an opened session; closes it and throws 429 if the bound was reached meanwhile. */
  Entry add(StreamingSession session, Guard guard, boolean ownsGuard) {
    sweep();
    byte[] b = new byte[16];
    random.nextBytes(b);
    Entry e = new Entry("strm_" + HexFormat.of().formatHex(b), session, guard, ownsGuard, ticker.read());
    synchronized (this) {
      if (sessions.size() >= maxSessions) {
        e.closeIfIdle();
        throw full();
      }
      sessions.put(e.id, e);
    }
    return e;
  }

  /**
   * Takes a session for one request: 404 when unknown or expired, 409 while another request uses it. Pair with
   * {@link #release}.
   */
  Entry acquire(String id) {
    sweep();
    Entry e = sessions.get(id);
    if (e == null) {
      throw ApiException.notFound("no stream session " + id + " (it finished, was deleted or timed out after "
          + Duration.ofNanos(idleNanos).toSeconds() + " s idle); open a new one with POST /v1/streams");
    }
    synchronized (e) {
      if (e.removed || e.closed) {
        throw ApiException.notFound("stream session " + id + " has ended; open a new one with POST /v1/streams");
      }
      if (e.busy) {
        throw new ApiException(409, "conflict_error", null, "session_busy", "stream session " + id
            + " is busy with another request; send a session's requests one after another", Map.of());
      }
      e.busy = true;
      e.lastUsed = ticker.read();
    }
    return e;
  }

  /** Ends a request's use; {@code end} also removes and closes the session. */
  void release(Entry e, boolean end) {
    synchronized (e) {
      e.busy = false;
      e.lastUsed = ticker.read();
      if (end) {
        e.removed = true;
      }
    }
    if (end) {
      sessions.remove(e.id, e);
      e.closeIfIdle();
    }
  }

  /** Removes a session (DELETE): 404 when unknown, 409 while a request uses it. */
  void delete(String id) {
    Entry e = acquire(id);
    release(e, true);
  }

  /** Closes sessions idle longer than the timeout. Runs on every registry call and on a timer. */
  void sweep() {
    long now = ticker.read();
    for (Entry e : sessions.values()) {
      boolean expired;
      synchronized (e) {
        expired = !e.busy && now - e.lastUsed >= idleNanos;
        if (expired) {
          e.removed = true;
        }
      }
      if (expired) {
        sessions.remove(e.id, e);
        e.closeIfIdle();
      }
    }
  }

  int size() {
    return sessions.size();
  }

  private ApiException full() {
    return new ApiException(429, "rate_limit_error", null, "too_many_sessions", "all " + maxSessions
        + " stream sessions are in use; finish or DELETE one, or retry after idle ones time out",
        Map.of("Retry-After", Long.toString(retryAfterSeconds)));
  }

  /** Closes every session (shutdown, after in-flight requests drained). */
  @Override
  public void close() {
    List<Entry> all = new ArrayList<>(sessions.values());
    sessions.clear();
    for (Entry e : all) {
      synchronized (e) {
        e.busy = false;
        e.removed = true;
      }
      e.closeIfIdle();
    }
  }
}
