package dev.parapet.guard.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModerationSpecTest {
  @Test
  void spec_serializesSmall_andRoundTrips() throws Exception {
    ModerationSpec spec = ModerationSpec.builder().textColumn("prompt").responseColumn("answer")
        .policy("default=block@0.5, S6=flag@0.7").taxonomy("llama-guard-3").batchSize(64).threadsPerExecutor(2).maxInputChars(500_000).timeoutSeconds(120).build();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
      o.writeObject(spec);
    }
    assertTrue(bytes.size() < 2_000, "names and strings only, no model: " + bytes.size() + " bytes");
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      ModerationSpec back = (ModerationSpec) in.readObject();
      assertEquals(spec, back);
      assertEquals(spec.hashCode(), back.hashCode());
      assertEquals(Optional.of("answer"), back.responseColumn());
      assertEquals("default", back.model());
      assertEquals(500_000, back.maxInputChars());
      assertEquals(120, back.timeoutSeconds());
      assertEquals(spec.guardKey(), back.guardKey());
    }
  }

  @Test
  void builder_badValues_areRejectedWithTheFix() {
    ModerationSpec.Builder b = ModerationSpec.builder();
    assertThrows(IllegalArgumentException.class, () -> b.policy("default=explode"));
    assertEquals("batchSize must be in [1, 10000], was 0",
        assertThrows(IllegalArgumentException.class, () -> b.batchSize(0)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.textColumn(" "));
    assertEquals("maxInputChars must be 0 (the Guard's default) or in [2, 100000000], was 1",
        assertThrows(IllegalArgumentException.class, () -> b.maxInputChars(1)).getMessage());
    assertEquals("timeoutSeconds must be 0 (the Guard's default) or in [1, 86400], was -1",
        assertThrows(IllegalArgumentException.class, () -> b.timeoutSeconds(-1)).getMessage());
    assertTrue(ModerationSpec.builder().textColumn("p").maxInputChars(0).build().toString().endsWith("threads=0}"));
    assertTrue(assertThrows(IllegalStateException.class, b::build).getMessage().startsWith("set textColumn"));
    assertThrows(IllegalStateException.class, () -> ModerationSpec.builder().textColumn("a").conversationColumn("c").build());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> b.model("provider:")).getMessage().contains("name the ClassifierProvider"));
  }

  @Test
  void model_remoteFormWithoutServedModelAndTokenizer_failsAtOnceNamingTheForm() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModerationSpec.builder().model("remote:https://guard.internal:8443"));
    assertTrue(e.getMessage().contains("model=SERVED_NAME and tokenizer=DIR are required; the form is remote:"),
        e.getMessage());
  }
}
