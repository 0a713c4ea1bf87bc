/**
 * The embedded default guard: a fine-tuned MiniLM encoder with a multi-label head
 * ({@link dev.parapet.guard.onnx.encoder.EncoderGuardClassifier}), its streaming view, custom categories scored by
 * example similarity, and the {@code "default"} {@link dev.parapet.guard.spi.ClassifierProvider}
 * ({@link dev.parapet.guard.onnx.encoder.DefaultModelProvider}).
 */
package dev.parapet.guard.onnx.encoder;
