/** A {@code Classifier} for big guard models served by vLLM (token ids in, log-probabilities out). */
module dev.parapet.guard.remote {
  // The API takes guard-onnx's GuardFamily and CategoryMode, and guard-core's types.
  requires transitive dev.parapet.guard.onnx;
  requires java.net.http;
  requires com.fasterxml.jackson.databind;
  requires io.github.resilience4j.circuitbreaker;

  exports dev.parapet.guard.remote;
}
