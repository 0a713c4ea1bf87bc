package dev.parapet.guard.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.onnx.testing.DecoderFixtures;
import dev.parapet.guard.onnx.decoder.GuardFamily;
import dev.parapet.guard.remote.testing.FakeVllmServer;
import dev.parapet.guard.spi.ClassificationRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RemoteGuardClassifier.Builder#apiKeyFile}: the one reader of API key files (CLI and Spark use it). */
class ApiKeyFileTest {
  @TempDir
  static Path dir;
  static Path lg3;

  @BeforeAll
  static void fixture() {
    lg3 = DecoderFixtures.model(dir.resolve("lg3"), GuardFamily.LLAMA_GUARD_3);
  }

  @Test
  void apiKeyFile_keyWithSurroundingWhitespace_sentStrippedAsBearerToken() throws IOException {
    Path key = Files.writeString(dir.resolve("key.txt"), "  sekret-42 \r\n\n", StandardCharsets.UTF_8);
    try (FakeVllmServer fake = FakeVllmServer.start().respondWith(FakeVllmServer.everyTokenOf(1200));
        RemoteGuardClassifier c = RemoteGuardClassifier.builder().baseUrl(fake.baseUrl()).model("m")
            .tokenizerDir(lg3).apiKeyFile(key).build()) {
      c.classify(ClassificationRequest.of(Conversation.ofPrompt("hello"), GuardFamily.LLAMA_GUARD_3.nativeTaxonomy()));
      assertFalse(fake.requests().isEmpty());
      for (FakeVllmServer.Request q : fake.requests()) {
        assertEquals("Bearer sekret-42", q.header("Authorization"));
      }
    }
  }

  @Test
  void apiKeyFile_whitespaceOnly_refusedNamingTheFile() throws IOException {
    Path key = Files.writeString(dir.resolve("blank.txt"), " \n\t\n", StandardCharsets.UTF_8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RemoteGuardClassifier.builder().apiKeyFile(key));
    assertEquals(key + " is empty; put the server's API key in it", e.getMessage());
  }

  @Test
  void apiKeyFile_missing_refusedNamingTheFileWithTheIoCause() {
    Path key = dir.resolve("no-such-key.txt");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RemoteGuardClassifier.builder().apiKeyFile(key));
    assertTrue(e.getMessage().startsWith(key + ": cannot read the API key file (NoSuchFileException"), e.getMessage());
    assertInstanceOf(IOException.class, e.getCause());
  }

  @Test
  void apiKeyFile_notUtf8_refusedWithoutItsContentInTheMessage() throws IOException {
    Path key = Files.write(dir.resolve("latin1.txt"), new byte[] {'s', 'e', 'k', (byte) 0xE9, 'r', 'e', 't'});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RemoteGuardClassifier.builder().apiKeyFile(key));
    assertTrue(e.getMessage().startsWith(key + ": cannot read the API key file"), e.getMessage());
    assertFalse(e.getMessage().contains("sek"), "the key's bytes must not reach the message: " + e.getMessage());
  }

  @Test
  void apiKeyFile_tooLarge_refusedAsTheWrongFile() throws IOException {
    Path big = Files.writeString(dir.resolve("big.bin"), "k".repeat(64 * 1024 + 1), StandardCharsets.UTF_8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RemoteGuardClassifier.builder().apiKeyFile(big));
    assertTrue(e.getMessage().startsWith(big + " is 65537 bytes"), e.getMessage());
    assertFalse(e.getMessage().contains("kkk"), e.getMessage());
  }
}
