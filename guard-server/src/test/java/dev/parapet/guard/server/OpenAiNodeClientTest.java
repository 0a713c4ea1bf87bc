package dev.parapet.guard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Guard;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import dev.parapet.guard.testing.TestAssets;

/**
 * The official OpenAI Node client ({@code openai} on npm) against a Parapet server on 127.0.0.1: the drop-in
 * claim, tested with the real client. Needs node and the package installed by {@code src/test/node/install.sh}
 * (CI runs it before Maven); otherwise the test is skipped and says so. It never reaches the network itself.
 */
class OpenAiNodeClientTest {
  private static final Path PACKAGE = Path.of("target", "openai-node", "node_modules", "openai", "package.json");

  @Test
  void officialNodeClient_moderationsCreate_worksAgainstParapet() throws Exception {
    TestAssets.assume("openai-npm", Files.isRegularFile(PACKAGE), "the openai npm package is not installed ("
        + PACKAGE.toAbsolutePath() + "); run guard-server/src/test/node/install.sh first");
    TestAssets.assume("openai-npm", onPath("node"), "node is not installed");
    Path script = Path.of("target", "openai-node", "moderation-client.mjs");
    // Node resolves 'openai' from the script's folder, so the script runs from next to node_modules.
    Files.copy(Path.of("src", "test", "node", "moderation-client.mjs"), script,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (Guard guard = Guard.builder().classifier(ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.97).build())
        .noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).token("node-test-token").build().start()) {
      ProcessBuilder pb = new ProcessBuilder("node", script.toAbsolutePath().toString()).redirectErrorStream(true);
      pb.environment().put("PARAPET_URL", server.uri().toString());
      pb.environment().put("PARAPET_TOKEN", "node-test-token");
      Process p = pb.start();
      String out;
      try {
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "node did not finish");
      } finally {
        p.destroyForcibly();
      }
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("OK openai-node moderations.create: [\"ALLOW\",\"BLOCK\"]"), out);
    }
  }

  private static boolean onPath(String exe) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, exe))) {
        return true;
      }
    }
    return false;
  }
}
