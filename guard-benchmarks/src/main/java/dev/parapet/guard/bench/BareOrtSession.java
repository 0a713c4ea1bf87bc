package dev.parapet.guard.bench;

import static java.util.Objects.requireNonNull;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The bare baseline: an {@link OrtSession} on a model's bytes and input tensors built once, so that
 * {@link #run()} measures {@code session.run} and nothing else. Not thread-safe; owns the session and the
 * tensors: close it.
 */
final class BareOrtSession implements AutoCloseable {
  private static final Set<String> KNOWN_INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");

  private final OrtSession session;
  private final Map<String, OnnxTensor> inputs = new HashMap<>();

  /**
   * @param model the ONNX model's bytes
   * @param ids token ids of one sequence, special tokens included, exactly as the classifier feeds them
   * @param attentionMask 1 for real tokens, 0 for padding; same length as {@code ids}
   * @param intraOpThreads ONNX Runtime intra-op threads
   */
  BareOrtSession(byte[] model, long[] ids, long[] attentionMask, int intraOpThreads) throws OrtException {
    requireNonNull(model, "model");
    requireNonNull(ids, "ids");
    requireNonNull(attentionMask, "attentionMask");
    if (ids.length == 0 || ids.length != attentionMask.length) {
      throw new IllegalArgumentException(
          "need ids and a mask of the same non-zero length, got " + ids.length + " and " + attentionMask.length);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(model, options);
    }
    try {
      long[] shape = {1, ids.length};
      for (String name : session.getInputNames()) {
        long[] values;
        switch (name) {
          case "input_ids" -> values = ids;
          case "attention_mask" -> values = attentionMask;
          case "token_type_ids" -> values = new long[ids.length];
          default -> throw new IllegalArgumentException("the model has an input '" + name
              + "' the bare baseline cannot fill; it knows " + KNOWN_INPUTS);
        }
        inputs.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape));
      }
    } catch (OrtException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Runs the session once and returns the first output's shape (closing the outputs). */
  long[] run() throws OrtException {
    try (OrtSession.Result result = session.run(inputs)) {
      return ((OnnxTensor) result.get(0)).getInfo().getShape();
    }
  }

  @Override
  public void close() {
    inputs.values().forEach(OnnxTensor::close);
    inputs.clear();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("could not close the ONNX Runtime session", e);
    }
  }
}
