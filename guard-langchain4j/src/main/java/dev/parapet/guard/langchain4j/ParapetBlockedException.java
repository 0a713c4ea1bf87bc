package dev.parapet.guard.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Verdict;

/**
 * The cause of the {@code InputGuardrailException} / {@code OutputGuardrailException} that LangChain4j throws when
 * a Parapet guardrail blocks. Its message is user-safe: it names the triggered categories (name and code) or says
 * that the check failed, never the scores or the judged text (unless
 * {@link GuardrailOptions.Builder#scoresInMessages(boolean)} is on). The full {@link Verdict}, scores included,
 * is available to code through {@link #verdict()}.
 *
 * <pre>{@code
 * catch (InputGuardrailException e) {
 *   if (e.getCause() instanceof ParapetBlockedException b) { audit(b.verdict()); }
 * }
 * }</pre>
 */
public final class ParapetBlockedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Verdict verdict;

  ParapetBlockedException(String message, Verdict verdict) {
    super(message);
    this.verdict = requireNonNull(verdict, "verdict");
  }

  /** The verdict that blocked (decision BLOCK; {@code failure()} is present when the classifier failed). */
  public Verdict verdict() {
    return verdict;
  }
}
