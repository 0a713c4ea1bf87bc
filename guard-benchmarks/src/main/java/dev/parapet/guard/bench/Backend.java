package dev.parapet.guard.bench;

/**
 * The models the streaming benchmarks run on.
 *
 * <ul>
 *   <li>{@link #DECODER}: a random-weight Llama-like decoder written by guard-onnx's {@code TinyDecoderFixture}
 *       (shape from the benchmark's {@code decoder} parameter, default 4 layers, hidden 256, vocabulary 32k)
 *       and run by {@code DecoderGuardClassifier} as a Llama Guard 3 model, whose incremental session keeps the
 *       KV cache. Stream tokens are cut as {@link ResponseText.Cut#PIECES}: exactly one model token each.
 *   <li>{@link #DEFAULT}: the embedded default model ({@code EncoderGuardClassifier.loadDefault}, MiniLM-L6
 *       int8), whose incremental session re-checks a window of the latest response tokens. Stream tokens are
 *       cut as {@link ResponseText.Cut#WORDS} ({@code " word"}: one WordPiece token for most words).
 * </ul>
 */
public enum Backend {
  DECODER(ResponseText.Cut.PIECES),
  DEFAULT(ResponseText.Cut.WORDS);

  private final ResponseText.Cut cut;

  Backend(ResponseText.Cut cut) {
    this.cut = cut;
  }

  /** How the response is cut into stream tokens so that one stream token is about one model token. */
  ResponseText.Cut cut() {
    return cut;
  }
}
