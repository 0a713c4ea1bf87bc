/**
 * Parapet's API: the {@code Guard} facade, verdicts, taxonomies, policies, streaming sessions, the chat-pipeline
 * interceptors and the classifier SPI. No native dependencies. Every package is API; implementations are
 * package-private inside them.
 */
module dev.parapet.guard.core {
  requires com.fasterxml.jackson.databind;
  requires com.github.benmanes.caffeine;
  requires com.ibm.icu;

  exports dev.parapet.guard;
  exports dev.parapet.guard.event;
  exports dev.parapet.guard.pipeline;
  exports dev.parapet.guard.policy;
  exports dev.parapet.guard.spi;
  exports dev.parapet.guard.stream;
  exports dev.parapet.guard.taxonomy;
  exports dev.parapet.guard.text;

  // Guard.builder().build() without a classifier finds the default model's provider.
  uses dev.parapet.guard.spi.ClassifierProvider;
}
