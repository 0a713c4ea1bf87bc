package dev.parapet.guard;

import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.policy.Policy;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.spi.Scores;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way the guard and its streaming sessions build verdicts: scores judged by the policy, empty input,
 * a failed check, a response stopped for its length. Every verdict names the classifier and the effective
 * taxonomy and measures its latency from {@code t0} (read with {@link #start()}) by the guard's ticker.
 * Immutable, so thread-safe.
 */
final class VerdictFactory {
  private final String classifierId;
  private final Taxonomy taxonomy;
  private final String effectiveTaxonomyHash;
  private final Policy policy;
  private final Ticker ticker;

  VerdictFactory(String classifierId, Taxonomy taxonomy, Taxonomy effectiveTaxonomy, Policy policy, Ticker ticker) {
    this.classifierId = classifierId;
    this.taxonomy = taxonomy;
    this.effectiveTaxonomyHash = effectiveTaxonomy.hash();
    this.policy = policy;
    this.ticker = ticker;
  }

  String classifierId() {
    return classifierId;
  }

  /** The start of a check's latency: pass it to the verdict methods. */
  long start() {
    return ticker.read();
  }

  /** The judged text was empty after normalization: ALLOW, not classified. */
  Verdict empty(Target target, List<Note> inputNotes, long t0) {
    List<Note> notes = new ArrayList<>(inputNotes);
    notes.add(TextNormalizer.EMPTY_NOTE);
    return base(target, t0).decision(Decision.ALLOW).notes(notes).build();
  }

  /** The policy's verdict on {@code s}; fails (by the failure mode) when the normalizer cut the judged text. */
  Verdict judged(Target target, List<Note> inputNotes, Scores s, boolean cached, long t0) {
    List<Triggered> triggered = policy.triggered(s, taxonomy);
    List<Note> notes = inputNotes;
    if (!s.notes().isEmpty()) { // the text views' observations (view, language, token-poor)
      notes = new ArrayList<>(inputNotes);
      notes.addAll(s.notes());
    }
    if (s.truncation().isPresent()) {
      var t = s.truncation().get();
      notes = new ArrayList<>(notes);
      notes.add(Note.of(Note.Kind.CLASSIFIER_TRUNCATED, t.keptLength() + " of " + t.originalLength() + " "
          + t.unit() + " read (" + t.strategy() + ")"));
    }
    // triggered is sorted most severe first
    Decision d = triggered.isEmpty() ? Decision.ALLOW : Decision.of(triggered.get(0).action());
    Verdict.Builder v = base(target, t0).decision(d).triggered(triggered).scores(s).cached(cached).notes(notes);
    String cut = judgedTextCut(inputNotes);
    if (cut != null && d != Decision.BLOCK) {
      // The middle of the text was never read: an ALLOW would vouch for text nobody judged (harm hidden in the
      // middle of 150k chars scored 0.001). Fail closed by default, as for any check that could not be completed.
      FailureMode mode = policy.failureMode();
      v.failure(new Failure(Failure.Kind.INPUT_TOO_LONG, "only head and tail of the judged text were read ("
          + cut + "); raise maxInputChars to read all of it", mode));
      if (mode == FailureMode.CLOSED) {
        v.decision(Decision.BLOCK);
      }
    }
    return v.build();
  }

  /** The detail of the normalizer's note when it cut the judged turn (head+tail), else null. */
  static String judgedTextCut(List<Note> notes) {
    for (Note n : notes) {
      if (n.kind() == Note.Kind.INPUT_TRUNCATED) {
        return n.detail();
      }
    }
    return null;
  }

  /** The check could not be completed: the policy's failure mode decides. */
  Verdict failed(Target target, List<Note> notes, Attempt<?> a, long t0) {
    return failedBuilder(target, notes, a, t0).build();
  }

  /**
   * An async check whose timeout passed before it answered: a TIMEOUT failure whose latency is the timeout (the
   * budget it used up, whenever the timer thread gets to answer).
   */
  Verdict timedOut(Target target, List<Note> notes, Throwable error, Duration timeout) {
    return failedBuilder(target, notes, Attempt.failed(Failure.Kind.TIMEOUT, error), start()).latency(timeout)
        .build();
  }

  private Verdict.Builder failedBuilder(Target target, List<Note> notes, Attempt<?> a, long t0) {
    FailureMode mode = policy.failureMode();
    Throwable e = a.error;
    String msg = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return base(target, t0).decision(mode == FailureMode.CLOSED ? Decision.BLOCK : Decision.ALLOW)
        .failure(new Failure(a.kind, msg, mode)).notes(notes);
  }

  /**
   * A streamed response stopped because it grew past {@code maxResponseChars}: BLOCK, not classified, so no
   * latency (zero).
   */
  Verdict responseTooLong(long responseChars, int maxResponseChars) {
    return Verdict.builder().target(Target.RESPONSE).classifierId(classifierId).taxonomyHash(effectiveTaxonomyHash)
        .decision(Decision.BLOCK)
        .notes(List.of(Note.of(Note.Kind.RESPONSE_TOO_LONG,
            responseChars + " chars > maxResponseChars " + maxResponseChars)))
        .build();
  }

  private Verdict.Builder base(Target target, long t0) {
    long elapsed = Math.max(0, ticker.read() - t0);
    return Verdict.builder().target(target).classifierId(classifierId).taxonomyHash(effectiveTaxonomyHash)
        .latency(Duration.ofNanos(elapsed));
  }
}
