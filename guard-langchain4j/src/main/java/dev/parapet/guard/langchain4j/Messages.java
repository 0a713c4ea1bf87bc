package dev.parapet.guard.langchain4j;

import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.stream.Collectors;

/** The user-safe texts the adapters put into exceptions and metadata, and the guarded listener call. */
final class Messages {
  private static final System.Logger LOG = System.getLogger(Messages.class.getName());

  private Messages() {}

  /**
   * "Parapet blocked the prompt: Indiscriminate Weapons (S9)", or, for a failure verdict, "Parapet could not
   * check the prompt (classifier failure: TIMEOUT) and blocks it (fail mode CLOSED)". Never the judged text;
   * never the classifier's own error message (it may quote the input); scores only when asked.
   */
  static String blocked(String what, Verdict verdict, boolean withScores) {
    if (verdict.failure().isPresent()) {
      var f = verdict.failure().get();
      return "Parapet could not check the " + what + " (classifier failure: " + f.kind() + ") and blocks it (fail mode "
          + f.appliedMode() + ")";
    }
    return "Parapet blocked the " + what + ": " + categories(verdict, withScores);
  }

  /** "Indiscriminate Weapons (S9), Hate (S10)"; "unsafe content" when no category triggered by itself. */
  static String categories(Verdict verdict, boolean withScores) {
    if (verdict.triggered().isEmpty()) {
      return "unsafe content";
    }
    return verdict.triggered().stream().map(t -> describe(t, withScores)).collect(Collectors.joining(", "));
  }

  private static String describe(Triggered t, boolean withScores) {
    String s = t.name() + " (" + t.code() + ")";
    return withScores ? s + String.format(Locale.ROOT, " score %.3f >= %.3f", t.score(), t.threshold()) : s;
  }

  /** Calls the user's listener; an exception it throws never changes the outcome of a check. */
  static void notify(VerdictListener listener, Verdict verdict) {
    try {
      listener.onVerdict(verdict);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "VerdictListener " + listener + " threw; ignored", e);
    }
  }
}
