package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.policy.Action;
import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Scores;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The result of a check. Immutable and thread-safe.
 *
 * <p>Holds the {@link Decision}, the categories whose rules fired, all scores, which classifier and taxonomy
 * produced them, how long it took, whether the scores came from the cache, and, if the classifier failed,
 * the {@link Failure} and the failure mode that decided. Notes record documented input handling (empty
 * input, truncation).
 */
public final class Verdict {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Decision decision;
  private final Target target;
  private final List<Triggered> triggered;
  private final Optional<Scores> scores;
  private final String classifierId;
  private final String taxonomyHash;
  private final Duration latency;
  private final boolean cached;
  private final Optional<Failure> failure;
  private final List<Note> notes;

  private Verdict(Builder b) {
    this.decision = requireNonNull(b.decision, "decision");
    this.target = requireNonNull(b.target, "target");
    this.triggered = List.copyOf(b.triggered);
    this.scores = requireNonNull(b.scores, "scores");
    this.classifierId = requireNonNull(b.classifierId, "classifierId");
    this.taxonomyHash = requireNonNull(b.taxonomyHash, "taxonomyHash");
    this.latency = requireNonNull(b.latency, "latency");
    this.cached = b.cached;
    this.failure = requireNonNull(b.failure, "failure");
    this.notes = List.copyOf(b.notes);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Decision decision() {
    return decision;
  }

  public boolean isAllowed() {
    return decision == Decision.ALLOW;
  }

  public boolean isFlagged() {
    return decision == Decision.FLAG;
  }

  public boolean isBlocked() {
    return decision == Decision.BLOCK;
  }

  /** Whether a prompt or a response was judged. */
  public Target target() {
    return target;
  }

  /** Categories whose rules fired, most severe first. */
  public List<Triggered> triggered() {
    return triggered;
  }

  /** The classifier's scores; empty when it was not called (empty input) or failed. */
  public Optional<Scores> scores() {
    return scores;
  }

  /** P(unsafe), or NaN when there are no scores. */
  public double unsafeScore() {
    return scores.map(Scores::unsafe).orElse(Double.NaN);
  }

  public String classifierId() {
    return classifierId;
  }

  public String taxonomyHash() {
    return taxonomyHash;
  }

  /** Wall time of the check, as measured by the guard's ticker. */
  public Duration latency() {
    return latency;
  }

  /** True when the scores came from the result cache. */
  public boolean cached() {
    return cached;
  }

  public Optional<Failure> failure() {
    return failure;
  }

  /**
   * Documented handling of the input, e.g. a {@link Note.Kind#EMPTY_INPUT} note (its {@code toString()} is
   * {@code "empty-input: not classified"}, as in the JSON).
   */
  public List<Note> notes() {
    return notes;
  }

  /** Whether one of the {@link #notes()} is of {@code kind}. */
  public boolean hasNote(Note.Kind kind) {
    requireNonNull(kind, "kind");
    for (Note n : notes) {
      if (n.kind() == kind) {
        return true;
      }
    }
    return false;
  }

  public Builder toBuilder() {
    Builder b = new Builder().decision(decision).target(target).triggered(triggered).classifierId(classifierId)
        .taxonomyHash(taxonomyHash).latency(latency).cached(cached).notes(notes);
    scores.ifPresent(b::scores);
    failure.ifPresent(b::failure);
    return b;
  }

  /** A JSON object with every field. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toJsonNode());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The tree behind {@link #toJson()}. Private so that no Jackson type is part of the public API (callers that
   * embed a verdict in a larger document parse {@link #toJson()}).
   */
  private ObjectNode toJsonNode() {
    ObjectNode root = JSON.createObjectNode();
    root.put("decision", decision.name());
    root.put("target", target.name());
    ArrayNode trig = root.putArray("triggered");
    for (Triggered t : triggered) {
      ObjectNode n = trig.addObject();
      n.put("code", t.code());
      n.put("name", t.name());
      n.put("score", t.score());
      n.put("threshold", t.threshold());
      n.put("action", t.action().name());
    }
    scores.ifPresent(s -> {
      ObjectNode sn = root.putObject("scores");
      sn.put("unsafe", s.unsafe());
      s.controversial().ifPresent(c -> sn.put("controversial", c));
      ObjectNode cats = sn.putObject("categories");
      s.categories().forEach(cats::put);
      s.truncation().ifPresent(t -> {
        ObjectNode tn = sn.putObject("truncation");
        tn.put("originalLength", t.originalLength());
        tn.put("keptLength", t.keptLength());
        tn.put("unit", t.unit().label());
        tn.put("strategy", t.strategy().label());
      });
    });
    root.put("classifierId", classifierId);
    root.put("taxonomyHash", taxonomyHash);
    root.put("latencyMillis", latency.toNanos() / 1e6);
    root.put("cached", cached);
    failure.ifPresent(f -> {
      ObjectNode fn = root.putObject("failure");
      fn.put("kind", f.kind().name());
      fn.put("message", f.message());
      fn.put("appliedMode", f.appliedMode().name());
    });
    ArrayNode nn = root.putArray("notes");
    notes.forEach(n -> nn.add(n.toString()));
    return root;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(decision).append(' ').append(target.name().toLowerCase(java.util.Locale.ROOT));
    if (!triggered.isEmpty()) {
      sb.append(" [");
      for (int i = 0; i < triggered.size(); i++) {
        Triggered t = triggered.get(i);
        sb.append(i == 0 ? "" : ", ").append(t.code()).append(' ').append(t.name())
            .append(String.format(" %.2f>=%.2f", t.score(), t.threshold()));
      }
      sb.append(']');
    }
    scores.ifPresent(s -> sb.append(String.format(" unsafe=%.3f", s.unsafe())));
    failure.ifPresent(f -> sb.append(" failure=").append(f.kind()).append(" (").append(f.message())
        .append(", fail-").append(f.appliedMode().name().toLowerCase(java.util.Locale.ROOT)).append(')'));
    if (!notes.isEmpty()) {
      sb.append(" notes=").append(notes);
    }
    sb.append(String.format(" in %.1f ms", latency.toNanos() / 1e6));
    if (cached) {
      sb.append(" (cached)");
    }
    return sb.append(" by ").append(classifierId).toString();
  }

  /** Builds a {@link Verdict}. Not thread-safe. */
  public static final class Builder {
    private Decision decision;
    private Target target = Target.PROMPT;
    private List<Triggered> triggered = List.of();
    private Optional<Scores> scores = Optional.empty();
    private String classifierId = "none";
    private String taxonomyHash = "none";
    private Duration latency = Duration.ZERO;
    private boolean cached;
    private Optional<Failure> failure = Optional.empty();
    private List<Note> notes = List.of();

    private Builder() {}

    public Builder decision(Decision d) {
      this.decision = requireNonNull(d, "decision");
      return this;
    }

    public Builder target(Target t) {
      this.target = requireNonNull(t, "target");
      return this;
    }

    public Builder triggered(List<Triggered> t) {
      this.triggered = List.copyOf(requireNonNull(t, "triggered"));
      return this;
    }

    public Builder scores(Scores s) {
      this.scores = Optional.of(requireNonNull(s, "scores"));
      return this;
    }

    public Builder classifierId(String id) {
      this.classifierId = requireNonNull(id, "classifierId");
      return this;
    }

    public Builder taxonomyHash(String hash) {
      this.taxonomyHash = requireNonNull(hash, "taxonomyHash");
      return this;
    }

    public Builder latency(Duration d) {
      requireNonNull(d, "latency");
      if (d.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative: " + d);
      }
      this.latency = d;
      return this;
    }

    public Builder cached(boolean c) {
      this.cached = c;
      return this;
    }

    public Builder failure(Failure f) {
      this.failure = Optional.of(requireNonNull(f, "failure"));
      return this;
    }

    public Builder notes(List<Note> n) {
      this.notes = List.copyOf(requireNonNull(n, "notes"));
      return this;
    }

    /**
     * Builds the verdict, refusing one that contradicts itself, so that code reading a verdict can trust it:
     *
     * <ul>
     *   <li>the decision is never milder than the most severe triggered rule ({@code Decision.of(action)});
     *   <li>a decision more severe than its triggered rules (a FLAG with none, a BLOCK without a BLOCK rule) is
     *       only a BLOCK caused by a failure under fail-closed or by a {@link Note.Kind#RESPONSE_TOO_LONG} note;
     *   <li>a failure under fail-closed ({@link FailureMode#CLOSED}) always blocks;
     *   <li>{@code cached} needs scores (the cache holds scores).
     * </ul>
     *
     * @throws IllegalStateException naming the rule the settings break
     */
    public Verdict build() {
      if (decision == null) {
        throw new IllegalStateException("decision is not set; call decision(ALLOW|FLAG|BLOCK)");
      }
      Action most = Action.ALLOW;
      for (Triggered t : triggered) {
        most = t.action().compareTo(most) > 0 ? t.action() : most;
      }
      Decision fired = Decision.of(most);
      boolean failClosed = failure.map(f -> f.appliedMode() == FailureMode.CLOSED).orElse(false);
      if (decision.compareTo(fired) < 0) {
        throw new IllegalStateException("decision " + decision + " is milder than its triggered rules (" + fired
            + "): " + triggered + "; use decision(" + fired + ")");
      }
      if (decision != fired && !(decision == Decision.BLOCK && (failClosed || stoppedForLength()))) {
        throw new IllegalStateException("decision " + decision + " has no cause: add the triggered rule that "
            + "decides it, or, for BLOCK, a failure under fail-closed; triggered: " + triggered + ", failure: "
            + failure.map(Failure::toString).orElse("none"));
      }
      if (failClosed && decision != Decision.BLOCK) {
        throw new IllegalStateException("a failure under fail-closed blocks, but decision is " + decision
            + ": use decision(BLOCK) or a failure with FailureMode.OPEN");
      }
      if (cached && scores.isEmpty()) {
        throw new IllegalStateException("cached(true) needs scores: the cache holds a classifier's scores");
      }
      return new Verdict(this);
    }

    private boolean stoppedForLength() {
      for (Note n : notes) {
        if (n.kind() == Note.Kind.RESPONSE_TOO_LONG) {
          return true;
        }
      }
      return false;
    }
  }
}
