package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrototypesTest {
  /** A unit vector at angle {@code deg} in the plane of the first two axes. */
  private static float[] at(double deg) {
    double r = Math.toRadians(deg);
    return new float[] {(float) Math.cos(r), (float) Math.sin(r), 0f};
  }

  @Test
  void calibrated_tightExamplesFarFromBackground_placesMidpointWithThreeTauEachSide() {
    float[][] examples = {at(0), at(10), at(20)};
    float[][] background = new float[20][];
    for (int i = 0; i < background.length; i++) {
      background[i] = at(80 + i); // cos to nearest example in [cos(80+i-20)...]
    }
    Prototypes p = Prototypes.calibrated(examples, background);
    double on = Math.cos(Math.toRadians(10));
    double[] offs = new double[20];
    for (int i = 0; i < 20; i++) {
      offs[i] = Math.cos(Math.toRadians(60 + i));
    }
    java.util.Arrays.sort(offs);
    double off = offs[18];
    assertEquals((on + off) / 2, p.c0, 1e-6);
    assertEquals((on - off) / 6, p.tau, 1e-6);
    assertEquals(EncoderConfig.sigmoid(3), p.score(on), 1e-6);
    assertEquals(EncoderConfig.sigmoid(-3), p.score(off), 1e-6);
  }

  @Test
  void calibrated_examplesNoCloserThanBackground_flagsOnlyNearDuplicates() {
    float[][] examples = {at(0), at(90)};
    float[][] background = {at(45), at(135), at(200)};
    Prototypes p = Prototypes.calibrated(examples, background);
    double off = Math.cos(Math.toRadians(45));
    assertEquals(off + 0.03, p.c0, 1e-6);
    assertTrue(p.score(1.0) > 0.99);
    assertTrue(p.score(off) < 0.06);
  }

  @Test
  void calibrated_singleExample_assumesOnTopicMargin() {
    Prototypes p = Prototypes.calibrated(new float[][] {at(0)}, new float[][] {at(80), at(85)});
    double off = Math.cos(Math.toRadians(80));
    assertEquals(off + 0.15, p.c0, 1e-6);
    assertEquals(0.05, p.tau, 1e-6);
  }
}
