package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code predictions.jsonl}: one line per scored record, written and flushed as each check completes, so that
 * a run killed after hours (SIGTERM, a lost machine) keeps every score it made (issue 18: it used to leave an
 * empty folder). Also keeps the predictions for a partial report. Thread-safe.
 */
public final class PredictionLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final BufferedWriter out;
  private final List<Prediction> written = new ArrayList<>();
  private boolean closed;

  private PredictionLog(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  /** Creates (or replaces) {@code file}. */
  public static PredictionLog open(Path file) throws IOException {
    requireNonNull(file, "file");
    return new PredictionLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  /** Appends one line and flushes it to the OS (survives the JVM being killed, not a power cut). */
  public synchronized void write(Prediction p) {
    requireNonNull(p, "p");
    if (closed) {
      return; // a check finishing while the JVM shuts down: the partial report is already being written
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("id", p.record().id());
    n.put("line", p.record().line());
    n.put("label", p.record().unsafe() ? "unsafe" : "safe");
    n.put("decision", p.decision().name());
    if (p.scored()) {
      n.put("score", p.score());
      ObjectNode cats = n.putObject("categories");
      p.categoryScores().forEach(cats::put);
    } else {
      n.put("unscored", p.unscoredReason().orElse(""));
    }
    n.put("latencyMs", p.latencyMillis());
    try {
      out.write(JSON.writeValueAsString(n));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot write prediction: " + e.getMessage(), e);
    }
    written.add(p);
  }

  /** The predictions written so far, in input order. */
  public synchronized List<Prediction> snapshot() {
    List<Prediction> copy = new ArrayList<>(written);
    copy.sort(Comparator.comparingLong(p -> p.record().line()));
    return copy;
  }

  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      out.close();
    }
  }
}
