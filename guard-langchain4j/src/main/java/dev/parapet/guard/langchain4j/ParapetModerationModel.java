package dev.parapet.guard.langchain4j;

import static java.util.Objects.requireNonNull;

import dev.langchain4j.model.moderation.Moderation;
import dev.langchain4j.model.moderation.ModerationModel;
import dev.langchain4j.model.moderation.ModerationRequest;
import dev.langchain4j.model.moderation.ModerationResponse;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Guard;
import dev.parapet.guard.policy.Triggered;
import dev.parapet.guard.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LangChain4j {@link ModerationModel} backed by a Parapet {@link Guard}, for {@code @Moderate} AI Service
 * methods ({@code AiServices.builder(...).moderationModel(new ParapetModerationModel(guard))}).
 *
 * <p>Each text of the request is judged as a prompt (in one {@link Guard#checkAll} call). The moderation is
 * {@link Moderation#flagged(String) flagged} with the first text whose verdict is BLOCK (a classifier failure
 * under fail-closed counts); FLAG does not flag (it goes to the {@link VerdictListener}). The response metadata
 * says what Parapet decided, without scores: {@code parapet.decision} (ALLOW/FLAG/BLOCK, the strictest over all
 * texts), {@code parapet.categories} (the triggered S-codes, in order, without repeats) and
 * {@code parapet.categoryNames}.
 *
 * <p>Note how LangChain4j 1.19 uses it: {@code @Moderate} runs the moderation <b>in parallel with</b> the
 * model call and throws {@code ModerationException} (whose message quotes the flagged text; that is
 * LangChain4j's wording) after the model answered. The model is therefore still called; use
 * {@link ParapetInputGuardrail} to keep a prompt from reaching it.
 *
 * <p><b>Thread-safety:</b> immutable; safe to share.
 */
public final class ParapetModerationModel implements ModerationModel {
  /** Metadata key: the strictest decision over the request's texts. */
  public static final String DECISION = "parapet.decision";
  /** Metadata key: the triggered category codes ({@code List<String>}). */
  public static final String CATEGORIES = "parapet.categories";
  /** Metadata key: the triggered category names ({@code List<String>}). */
  public static final String CATEGORY_NAMES = "parapet.categoryNames";

  private final Guard guard;
  private final GuardrailOptions options;

  public ParapetModerationModel(Guard guard) {
    this(guard, GuardrailOptions.defaults());
  }

  public ParapetModerationModel(Guard guard, GuardrailOptions options) {
    this.guard = requireNonNull(guard, "guard");
    this.options = requireNonNull(options, "options");
  }

  @Override
  public ModerationResponse doModerate(ModerationRequest request) {
    requireNonNull(request, "request");
    List<String> texts = new ArrayList<>();
    for (String t : request.texts()) {
      if (t != null) {
        texts.add(t);
      }
    }
    List<Conversation> conversations = texts.stream().map(Conversation::ofPrompt).toList();
    List<Verdict> verdicts = conversations.isEmpty() ? List.of() : guard.checkAll(conversations);
    String flaggedText = null;
    Decision strictest = Decision.ALLOW;
    Map<String, String> triggered = new LinkedHashMap<>();
    for (int i = 0; i < verdicts.size(); i++) {
      Verdict v = verdicts.get(i);
      Messages.notify(options.listener(), v);
      if (v.decision().compareTo(strictest) > 0) {
        strictest = v.decision();
      }
      for (Triggered t : v.triggered()) {
        triggered.putIfAbsent(t.code(), t.name());
      }
      if (v.isBlocked() && flaggedText == null) {
        flaggedText = texts.get(i);
      }
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put(DECISION, strictest.name());
    metadata.put(CATEGORIES, List.copyOf(triggered.keySet()));
    metadata.put(CATEGORY_NAMES, List.copyOf(triggered.values()));
    return ModerationResponse.builder()
        .moderation(flaggedText == null ? Moderation.notFlagged() : Moderation.flagged(flaggedText))
        .metadata(metadata)
        .build();
  }

  @Override
  public String modelName() {
    return "parapet:" + guard.classifierInfo().id();
  }
}
