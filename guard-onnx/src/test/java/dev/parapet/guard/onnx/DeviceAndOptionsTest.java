package dev.parapet.guard.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DeviceAndOptionsTest {
  @Test
  void parse_knownForms_roundTripToString() {
    assertEquals(Device.cpu(), Device.parse("cpu"));
    assertEquals(Device.cuda(0), Device.parse("cuda"));
    assertEquals(Device.cuda(1), Device.parse(" CUDA:1 "));
    assertEquals("cpu", Device.cpu().toString());
    assertEquals("cuda:0", Device.cuda(0).toString());
    assertEquals(Device.cuda(3), Device.parse(Device.cuda(3).toString()));
  }

  @Test
  void parse_unknownForm_listsAllowedValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse("gpu"));
    assertEquals("unknown device 'gpu': expected one of cpu, cuda, cuda:N (N >= 0)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:-1"));
    assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
    assertThrows(NullPointerException.class, () -> Device.parse(null));
  }

  @Test
  void builder_defaultsAndChecks() {
    OnnxOptions d = OnnxOptions.defaults();
    assertEquals(Device.cpu(), d.device());
    assertEquals(Math.min(4, Runtime.getRuntime().availableProcessors()), d.intraOpThreads());
    assertEquals(1, d.interOpThreads());
    OnnxOptions o = OnnxOptions.builder().device(Device.cuda(1)).intraOpThreads(2).interOpThreads(2).build();
    assertEquals(o, o.toBuilder().build());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxOptions.builder().intraOpThreads(0));
    assertEquals("intraOpThreads must be in [1, 1024], was 0", e.getMessage());
  }
}
