package dev.parapet.guard.bench;

/**
 * The models the streaming benchmarks run on.
 *
 * <ul>
 *   <li>{@link #DECODER}: a random-weight Llama-like decoder written by guard-onnx's {@code TinyDecoderFixture}
 *       (shape from the benchmark's {@code decoder} parameter, default 4 layers, hidden 256, vocabulary 32k)
 *       and run by {@code DecoderGuardClassifier}, whose incremental session keeps the KV cache.
 *   <li>{@link #DEFAULT}: the embedded default model ({@code EncoderGuardClassifier.loadDefault}, MiniLM-L6
 *       int8), whose incremental session re-checks a window of the latest response tokens.
 * </ul>
 */
public enum Backend {
  DECODER,
  DEFAULT
}
