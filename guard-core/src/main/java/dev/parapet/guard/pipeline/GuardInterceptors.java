package dev.parapet.guard.pipeline;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import java.util.function.Function;

/** Ready-made interceptors. Stateless; the interceptors it returns are thread-safe (a Guard is). */
public final class GuardInterceptors {
  private GuardInterceptors() {}

  /**
   * The default refusal text: {@code "Sorry, I can't help with that. (blocked: Violent Crimes (S1))"}, naming the
   * triggered categories, or the failure when the guard could not judge.
   */
  public static String defaultRefusal(Verdict verdict) {
    requireNonNull(verdict, "verdict");
    StringBuilder sb = new StringBuilder("Sorry, I can't help with that. (blocked: ");
    if (!verdict.triggered().isEmpty()) {
      for (int i = 0; i < verdict.triggered().size(); i++) {
        Triggered t = verdict.triggered().get(i);
        sb.append(i == 0 ? "" : ", ").append(t.name()).append(" (").append(t.code()).append(')');
      }
    } else if (verdict.failure().isPresent()) {
      sb.append("the safety check failed: ").append(verdict.failure().get().kind());
    } else {
      sb.append("policy");
    }
    return sb.append(')').toString();
  }

  /** {@link #guard(Guard, Function)} with {@link #defaultRefusal(Verdict)}. */
  public static GuardInterceptor guard(Guard guard) {
    return guard(guard, GuardInterceptors::defaultRefusal);
  }

  /**
   * Checks the request; if blocked, returns a refusal without calling the model. Otherwise calls the model,
   * checks {@code request.withResponse(reply)} and, if blocked, replaces the reply with a refusal. The reply
   * carries the response verdict. FLAG lets text through (the verdict says it was flagged). Classifier failures
   * follow the guard's failure mode (closed by default: refusal).
   *
   * @param refusal makes the refusal text from the blocking verdict
   */
  public static GuardInterceptor guard(Guard guard, Function<Verdict, String> refusal) {
    requireNonNull(guard, "guard");
    requireNonNull(refusal, "refusal");
    return new GuardInterceptor() {
      @Override
      public ChatReply intercept(Chain chain) {
        Conversation request = chain.request();
        Verdict in = guard.check(request);
        if (in.isBlocked()) {
          return ChatReply.refusal(requireNonNull(refusal.apply(in), "refusal text"), in);
        }
        ChatReply reply = chain.proceed(request);
        if (!(reply instanceof ChatReply.Answer answer)) {
          return reply; // an inner step already refused; its text is not model output
        }
        Verdict out = guard.check(request.withResponse(answer.text()));
        if (out.isBlocked()) {
          return ChatReply.refusal(requireNonNull(refusal.apply(out), "refusal text"), out);
        }
        return answer.withVerdict(out);
      }

      @Override
      public String name() {
        return "GuardInterceptors.guard(" + guard + ")";
      }
    };
  }
}
