package dev.parapet.guard.langchain4j;

import dev.parapet.guard.Verdict;

/**
 * Receives every verdict a Parapet adapter reaches (ALLOW, FLAG and BLOCK, prompt and response), so a FLAG that
 * lets the call pass is still recorded where the caller can read it. LangChain4j's guardrail results carry no
 * metadata in 1.19, so this callback is the place. Called on the thread that ran the check; must be fast and
 * thread-safe when the adapter is shared. An exception it throws is logged and ignored: it never changes the
 * outcome of a check.
 */
@FunctionalInterface
public interface VerdictListener {

  /** A listener that does nothing. */
  VerdictListener NONE = verdict -> {};

  void onVerdict(Verdict verdict);
}
