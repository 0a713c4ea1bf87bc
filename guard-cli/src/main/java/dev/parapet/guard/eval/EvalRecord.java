package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One labelled item of an evaluation data set (one JSONL line). Immutable and thread-safe.
 *
 * <p>JSONL form (see ARCHITECTURE.md): {@code {"id": "x1", "prompt": "...", "response": "..." | null,
 * "label": "unsafe" | "safe", "categories": ["S1"], "source": "harmbench", "harm_start": 42}}; only
 * {@code prompt} and {@code label} are required. The label refers to the response when there is one, else to
 * the prompt.
 *
 * @param id the record's id ({@code "line-N"} when the line has none)
 * @param line 1-based line number in the file it came from
 * @param prompt the user's prompt
 * @param response the assistant's response, if this is a response item
 * @param unsafe true when labelled unsafe
 * @param categories labelled taxonomy codes (may be empty)
 * @param source where the item comes from, if given
 * @param harmStart char offset in the response where harmful content starts, if given
 */
public record EvalRecord(
    String id,
    long line,
    String prompt,
    Optional<String> response,
    boolean unsafe,
    List<String> categories,
    Optional<String> source,
    OptionalInt harmStart) {
  public EvalRecord {
    requireNonNull(id, "id");
    requireNonNull(prompt, "prompt");
    requireNonNull(response, "response");
    categories = List.copyOf(requireNonNull(categories, "categories"));
    requireNonNull(source, "source");
    requireNonNull(harmStart, "harmStart");
    if (harmStart.isPresent()) {
      if (response.isEmpty()) {
        throw new IllegalArgumentException("harm_start needs a response");
      }
      if (harmStart.getAsInt() < 0 || harmStart.getAsInt() > response.get().length()) {
        throw new IllegalArgumentException("harm_start must be in [0, " + response.get().length()
            + "] (the response's length in chars), was " + harmStart.getAsInt());
      }
    }
  }

  /** The conversation to check: the prompt, plus the response when there is one. */
  public Conversation conversation() {
    return response.map(r -> Conversation.ofExchange(prompt, r)).orElseGet(() -> Conversation.ofPrompt(prompt));
  }

  /** The text that the label judges: the response when there is one, else the prompt. */
  public String judgedText() {
    return response.orElse(prompt);
  }

  /** The source, or {@code "unknown"}. */
  public String sourceOrUnknown() {
    return source.orElse("unknown");
  }
}
