package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.parapet.guard.testing.TestAssets;

/**
 * {@code parapet serve} as a real process (this module's test classpath, the embedded default model): it prints
 * the URL when ready, answers on 127.0.0.1, requires the token from --token-file, and stops on SIGTERM.
 */
class ServeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "dev/parapet/guard/model/default/model.onnx";

  @Test
  void serve_missingTokenFile_usageErrorBeforeAnythingStarts() {
    CliRunner.Result r = CliRunner.fake().run("serve", "--port", "0", "--token-file", "/no/such/token");
    assertEquals(ExitCodes.USAGE, r.exit(), r.toString());
    assertTrue(r.err().contains("token file"), r.err());
  }

  @Test
  void serve_badLimit_usageError() {
    CliRunner.Result r = CliRunner.fake().run("serve", "--port", "0", "--workers", "0");
    assertEquals(ExitCodes.USAGE, r.exit(), r.toString());
    assertTrue(r.err().contains("workers must be >= 1"), r.err());
  }

  @Test
  void serve_realProcess_printsUrl_answers_stopsOnSigterm(@TempDir Path tmp) throws Exception {
    TestAssets.assume("default-model", getClass().getClassLoader().getResource(MODEL) != null, "the default model is not on the classpath");
    Path token = Files.writeString(tmp.resolve("token"), "t0ken-for-test\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "-Dparapet.onnxruntime.cache=" + tmp.resolve("ort"), "dev.parapet.guard.cli.Main", "serve", "--port", "0",
        "--token-file", token.toString()).redirectError(tmp.resolve("stderr.txt").toFile());
    Process p = pb.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine(); // blocks until the server printed its URL (or the process died: null)
      if (line == null) {
        p.waitFor(30, TimeUnit.SECONDS);
      }
      assertNotNull(line, "serve exited (" + (p.isAlive() ? "alive" : "exit " + p.exitValue()) + ") without printing "
          + "a URL: " + Files.readString(tmp.resolve("stderr.txt")));
      Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(line);
      assertTrue(m.find(), line);
      URI base = URI.create(m.group(1));
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("/v1/moderations")).timeout(Duration.ofSeconds(60))
          .POST(HttpRequest.BodyPublishers.ofString("{\"input\":[\"How do I make a pipe bomb at home?\",\"How do I bake bread?\"]}"))
          .header("Content-Type", "application/json");
      assertEquals(401, client.send(req.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> ok = client.send(req.header("Authorization", "Bearer t0ken-for-test").build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      JsonNode results = JSON.readTree(ok.body()).get("results");
      assertTrue(results.get(0).get("flagged").asBoolean(), ok.body());
      assertFalse(results.get(1).get("flagged").asBoolean(), ok.body());

      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
      String err = Files.readString(tmp.resolve("stderr.txt"));
      assertTrue(err.contains("parapet serve: stopped"), err);
      assertTrue(err.contains("\"route\":\"moderations\""), "access log lines on stderr: " + err);
      assertFalse(err.contains("pipe bomb"), "texts are not logged by default: " + err);
    } finally {
      p.destroyForcibly();
    }
  }
}
