/**
 * ONNX Runtime backends: the embedded default encoder and Llama-Guard-style decoders. {@code onnx.internal}
 * (sessions, native-library cache) is not exported: it is this module's plumbing, not API.
 */
module dev.parapet.guard.onnx {
  requires transitive dev.parapet.guard.core;
  // The embedded model's files; read as resources (their folder is not a package, so not encapsulated).
  requires dev.parapet.guard.defaultmodel;
  requires com.microsoft.onnxruntime;
  requires ai.djl.tokenizers;
  requires com.fasterxml.jackson.databind;
  // PromptPreparer's bounded plan cache.
  requires com.github.benmanes.caffeine;

  exports dev.parapet.guard.onnx;
  exports dev.parapet.guard.onnx.decoder;
  exports dev.parapet.guard.onnx.encoder;

  // ModelFolders picks a folder's provider by its manifest family.
  uses dev.parapet.guard.spi.ClassifierProvider;

  // Also listed in META-INF/services for the class path.
  provides dev.parapet.guard.spi.ClassifierProvider with
      dev.parapet.guard.onnx.encoder.DefaultModelProvider,
      dev.parapet.guard.onnx.decoder.DecoderModelProvider.LlamaGuard3,
      dev.parapet.guard.onnx.decoder.DecoderModelProvider.LlamaGuard4,
      dev.parapet.guard.onnx.decoder.DecoderModelProvider.Qwen3GuardGen,
      dev.parapet.guard.onnx.decoder.DecoderModelProvider.ShieldGemma;
}
