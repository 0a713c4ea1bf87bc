package dev.parapet.guard.pipeline;

import dev.parapet.guard.Conversation;

/**
 * The application's chat model call: a conversation ending with the user's turn in, the assistant's reply out.
 * Thread-safety is the implementation's; {@link GuardedPipeline} adds none and takes none away.
 */
@FunctionalInterface
public interface ChatPipeline {
  ChatReply call(Conversation conversation);
}
