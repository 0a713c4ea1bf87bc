package dev.parapet.guard.spi;

import static java.util.Objects.requireNonNull;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Target;
import dev.parapet.guard.taxonomy.Taxonomy;

/**
 * One input to classify. Immutable and thread-safe.
 *
 * @param conversation the conversation; its last turn is judged (see {@link Conversation#target()}). The
 *     {@code Guard} hands classifiers normalized text (NFKC, no lone surrogates or invisible control
 *     characters) that is never blank.
 * @param taxonomy the categories to judge against
 * @param cancellation set when the caller gave up (timeout, early stop); classifiers should stop work
 */
public record ClassificationRequest(Conversation conversation, Taxonomy taxonomy, Cancellation cancellation) {
  public ClassificationRequest {
    requireNonNull(conversation, "conversation");
    requireNonNull(taxonomy, "taxonomy");
    requireNonNull(cancellation, "cancellation");
  }

  public static ClassificationRequest of(Conversation conversation, Taxonomy taxonomy) {
    return new ClassificationRequest(conversation, taxonomy, Cancellation.create());
  }

  public Target target() {
    return conversation.target();
  }
}
