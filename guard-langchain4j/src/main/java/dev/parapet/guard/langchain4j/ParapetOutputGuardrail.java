package dev.parapet.guard.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.guardrail.OutputGuardrail;
import dev.langchain4j.guardrail.OutputGuardrailRequest;
import dev.langchain4j.guardrail.OutputGuardrailResult;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Verdict;

/**
 * A LangChain4j {@link OutputGuardrail} that judges the model's response <b>in the context of the user's
 * prompt</b> (Parapet's response mode: {@code Conversation.ofExchange(prompt, response)}). The prompt is taken
 * from the guardrail request: the user message template rendered with the method's variables, else the
 * invocation context's user message, else the last user message in the chat memory; when none is there the
 * response is judged after an empty prompt.
 *
 * <ul>
 *   <li>BLOCK (including a classifier failure under fail-closed): a <b>fatal</b> failure that also removes the
 *       response from the chat memory; AI Services throws {@code OutputGuardrailException} whose message names
 *       the categories and whose cause is a {@link ParapetBlockedException}. No retry or reprompt: a guard
 *       verdict is not a formatting problem the model can fix.
 *   <li>FLAG and ALLOW: success; the verdict goes to the {@link VerdictListener}.
 * </ul>
 *
 * For streamed answers LangChain4j runs output guardrails only after the whole response arrived (it buffers
 * every token); use {@link GuardedStreamingChatModel} to stop a streamed answer mid-way.
 *
 * <p>Subclass it for {@code @OutputGuardrails} (see {@link ParapetInputGuardrail}). <b>Thread-safety:</b>
 * immutable; safe to share.
 */
public class ParapetOutputGuardrail implements OutputGuardrail {
  private final Guard guard;
  private final GuardrailOptions options;

  public ParapetOutputGuardrail(Guard guard) {
    this(guard, GuardrailOptions.defaults());
  }

  public ParapetOutputGuardrail(Guard guard, GuardrailOptions options) {
    this.guard = requireNonNull(guard, "guard");
    this.options = requireNonNull(options, "options");
  }

  @Override
  public OutputGuardrailResult validate(OutputGuardrailRequest request) {
    requireNonNull(request, "request");
    String response = request.responseFromLLM().aiMessage().text();
    String prompt = Texts.prompt(request.requestParams()).orElse("");
    Verdict verdict = guard.check(Conversation.ofExchange(prompt, response == null ? "" : response));
    Messages.notify(options.listener(), verdict);
    if (verdict.isBlocked()) {
      String message = Messages.blocked("response", verdict, options.scoresInMessages());
      return OutputGuardrailResult.fatalWithMessageRemoval(message, new ParapetBlockedException(message, verdict));
    }
    return success();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + guard.classifierInfo().id() + ", " + guard.policy() + "}";
  }
}
