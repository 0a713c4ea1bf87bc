package dev.parapet.guard.onnx.encoder;

import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.testing.ClassifierContractTest;

/** guard-core's SPI contract, run against the embedded default model. */
class EncoderContractTest extends ClassifierContractTest {
  @Override
  protected Classifier createClassifier() {
    return SharedModel.load();
  }

}
