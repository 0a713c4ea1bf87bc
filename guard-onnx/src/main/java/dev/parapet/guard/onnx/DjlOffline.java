package dev.parapet.guard.onnx;

/**
 * DJL's tokenizer factories send a usage-tracking request, and probe a cloud metadata address, unless
 * {@code ai.djl.offline} is set: a library that judges private conversations locally must not make network
 * calls its user did not ask for, and in sandboxes without network the probe stalls loading. We set the
 * property once, before the first DJL call, unless the application chose a value itself.
 */
final class DjlOffline {
  private DjlOffline() {}

  static void ensure() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
  }
}
