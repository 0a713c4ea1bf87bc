package dev.parapet.guard.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.guardrail.InputGuardrail;
import dev.langchain4j.guardrail.InputGuardrailRequest;
import dev.langchain4j.guardrail.InputGuardrailResult;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;

/**
 * A LangChain4j {@link InputGuardrail} that judges the user message with a Parapet {@link Guard} before it
 * reaches the model. Policy, taxonomy and fail mode are the Guard's.
 *
 * <ul>
 *   <li>BLOCK (including a classifier failure under the default fail-closed mode): a <b>fatal</b> failure, so
 *       AI Services throws {@code InputGuardrailException} and the model is never called. The message names
 *       the triggered categories ("Parapet blocked the prompt: Indiscriminate Weapons (S9)"); the cause is a
 *       {@link ParapetBlockedException} holding the verdict.
 *   <li>FLAG and ALLOW: success; the verdict goes to the {@link VerdictListener}.
 * </ul>
 *
 * Only the text parts of the user message are judged (joined by newlines); images and other media are not.
 *
 * <p>With the AI Services builder: {@code .inputGuardrails(new ParapetInputGuardrail(guard))}. With
 * {@code @InputGuardrails(MyGuardrail.class)}, LangChain4j instantiates the class through its no-argument
 * constructor, so subclass it: {@code class MyGuardrail extends ParapetInputGuardrail { MyGuardrail() {
 * super(Guards.shared()); } }}.
 *
 * <p><b>Thread-safety:</b> immutable; safe to share across threads and AI Services (as the Guard is).
 */
public class ParapetInputGuardrail implements InputGuardrail {
  private final Guard guard;
  private final GuardrailOptions options;

  public ParapetInputGuardrail(Guard guard) {
    this(guard, GuardrailOptions.defaults());
  }

  public ParapetInputGuardrail(Guard guard, GuardrailOptions options) {
    this.guard = requireNonNull(guard, "guard");
    this.options = requireNonNull(options, "options");
  }

  @Override
  public InputGuardrailResult validate(InputGuardrailRequest request) {
    requireNonNull(request, "request");
    Verdict verdict = guard.checkPrompt(Texts.text(request.userMessage()));
    Messages.notify(options.listener(), verdict);
    if (verdict.isBlocked()) {
      String message = Messages.blocked("prompt", verdict, options.scoresInMessages());
      return fatal(message, new ParapetBlockedException(message, verdict));
    }
    return success();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + guard.classifierInfo().id() + ", " + guard.policy() + "}";
  }
}
