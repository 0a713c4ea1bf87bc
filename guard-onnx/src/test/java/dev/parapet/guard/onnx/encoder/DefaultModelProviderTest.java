package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierProvider;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class DefaultModelProviderTest {
  @Test
  void serviceLoader_findsTheDefaultProvider() {
    List<ClassifierProvider> defaults = ServiceLoader.load(ClassifierProvider.class).stream()
        .map(ServiceLoader.Provider::get).filter(ClassifierProvider::isDefault).toList();
    assertEquals(1, defaults.size());
    assertEquals("default", defaults.get(0).name());
    assertTrue(defaults.get(0) instanceof DefaultModelProvider);
  }

  @Test
  void parse_knownOptions_buildOnnxOptions() {
    OnnxOptions o = DefaultModelProvider.parse(Map.of("device", "CUDA:1", "threads", " 3"));
    assertEquals(Device.cuda(1), o.device());
    assertEquals(3, o.intraOpThreads());
    assertEquals(OnnxOptions.defaults(), DefaultModelProvider.parse(Map.of()));
  }

  @Test
  void parse_unknownOrBadOptions_throwListingKnownKeys() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DefaultModelProvider.parse(Map.of("gpu", "yes")));
    assertTrue(e.getMessage().contains("gpu") && e.getMessage().contains("[device, threads]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DefaultModelProvider.parse(Map.of("threads", "many")));
    assertThrows(IllegalArgumentException.class, () -> DefaultModelProvider.parse(Map.of("threads", "0")));
    assertThrows(IllegalArgumentException.class, () -> DefaultModelProvider.parse(Map.of("device", "tpu")));
  }

  @Test
  void create_noOptions_loadsTheEmbeddedModel() {
    String id = SharedModel.get().info().id();
    try (Classifier c = new DefaultModelProvider().create(Map.of("threads", "2"))) {
      assertEquals(id, c.info().id());
    }
  }
}
