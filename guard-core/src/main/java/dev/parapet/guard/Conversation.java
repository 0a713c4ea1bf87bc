package dev.parapet.guard;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An immutable list of turns ending in the turn to judge. Thread-safe.
 *
 * <p>If the last USER/ASSISTANT turn is the user's, a check classifies the prompt ({@link Target#PROMPT});
 * if it is the assistant's, it classifies the response in the context of the conversation before it
 * ({@link Target#RESPONSE}). SYSTEM and TOOL turns are context and never the subject of a check, so
 * they may not be the last turn.
 *
 * <pre>{@code
 * Conversation c = Conversation.ofPrompt("How do I bake bread?").withResponse("Mix flour...");
 * }</pre>
 */
public final class Conversation {
  private final List<Turn> turns;

  private Conversation(List<Turn> turns) {
    this.turns = turns;
  }

  /**
   * A conversation from turns.
   *
   * @throws IllegalArgumentException if empty, if it holds no USER turn, or if the last turn is not USER or
   *     ASSISTANT
   */
  public static Conversation of(List<Turn> turns) {
    requireNonNull(turns, "turns");
    List<Turn> copy = List.copyOf(turns);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("a conversation needs at least one turn: add Turn.user(prompt)");
    }
    Role last = copy.get(copy.size() - 1).role();
    if (last != Role.USER && last != Role.ASSISTANT) {
      throw new IllegalArgumentException(
          "the last turn is what gets judged and must be USER or ASSISTANT, was " + last);
    }
    if (copy.stream().noneMatch(t -> t.role() == Role.USER)) {
      throw new IllegalArgumentException("a conversation needs at least one USER turn");
    }
    return new Conversation(copy);
  }

  public static Conversation of(Turn... turns) {
    requireNonNull(turns, "turns");
    return of(List.of(turns));
  }

  /** A single user prompt. */
  public static Conversation ofPrompt(String prompt) {
    return new Conversation(List.of(Turn.user(requireNonNull(prompt, "prompt"))));
  }

  /** A prompt and the assistant's response to it: a response check. */
  public static Conversation ofExchange(String prompt, String response) {
    return ofPrompt(prompt).withResponse(response);
  }

  /** Returns a copy with the assistant's response appended. */
  public Conversation withResponse(String response) {
    requireNonNull(response, "response");
    return with(Turn.assistant(response));
  }

  /** Returns a copy with one more turn. */
  public Conversation with(Turn turn) {
    requireNonNull(turn, "turn");
    List<Turn> copy = new ArrayList<>(turns.size() + 1);
    copy.addAll(turns);
    copy.add(turn);
    return of(copy);
  }

  public List<Turn> turns() {
    return turns;
  }

  /** PROMPT when the last turn is the user's, RESPONSE when it is the assistant's. */
  public Target target() {
    return last().role() == Role.ASSISTANT ? Target.RESPONSE : Target.PROMPT;
  }

  /** The turn being judged. */
  public Turn last() {
    return turns.get(turns.size() - 1);
  }

  /** The text of the last user turn (the prompt, or the prompt the response answers). */
  public String lastPrompt() {
    for (int i = turns.size() - 1; i >= 0; i--) {
      if (turns.get(i).role() == Role.USER) {
        return turns.get(i).text();
      }
    }
    throw new AssertionError("checked in of()");
  }

  /** The assistant's response being judged, if this is a response check. */
  public Optional<String> response() {
    return target() == Target.RESPONSE ? Optional.of(last().text()) : Optional.empty();
  }

  /** The conversation before the judged turn, or empty when the judged turn is the first. */
  public List<Turn> context() {
    return turns.subList(0, turns.size() - 1);
  }

  /** Total characters of all turns. */
  public long length() {
    long n = 0;
    for (Turn t : turns) {
      n += t.text().length();
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Conversation c && c.turns.equals(turns);
  }

  @Override
  public int hashCode() {
    return turns.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Conversation[");
    for (int i = 0; i < turns.size(); i++) {
      Turn t = turns.get(i);
      if (i > 0) {
        sb.append(", ");
      }
      String text = t.text();
      sb.append(t.role()).append(": \"")
          .append(text.length() > 60 ? text.substring(0, 57) + "..." : text).append('"');
    }
    return sb.append(']').toString();
  }
}
