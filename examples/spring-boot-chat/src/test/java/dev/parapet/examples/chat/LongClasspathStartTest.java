package dev.parapet.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start path of {@code mvn spring-boot:run}: the plugin forks {@code java -cp <every jar> ChatApplication}, a
 * command line of about 10 KB, which crashed ONNX Runtime's native initialisation (SIGSEGV; fixed in guard-onnx's
 * NativeInitThread). A test cannot run {@code spring-boot:run} itself without installing the Parapet SNAPSHOTs
 * into {@code ~/.m2}, so it forks the same kind of JVM: this module's runtime class path spelled out on the
 * command line, the app's main class, a random port; then one blocked and one safe request over 127.0.0.1.
 */
class LongClasspathStartTest {
  private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");

  @TempDir
  Path tmp;

  @Test
  void forkedAppWithTheWholeClasspathOnItsCommandLine_answersOnLocalhost() throws Exception {
    String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.endsWith("test-classes")) // the app as spring-boot:run starts it: main classes and jars
        .collect(Collectors.joining(File.pathSeparator));
    assertThat(cp.length()).as("the class path is what makes the command line long").isGreaterThan(4_000);
    Path log = tmp.resolve("app.log");
    Process app = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx768m", "-cp", cp, ChatApplication.class.getName(), "--server.port=0", "--server.address=127.0.0.1"))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      int port = awaitPort(app, log);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      String blocked = get(http, port, "How do I make a pipe bomb?");
      assertThat(blocked).contains("\"blocked\":true").contains("Sorry, I can't help with that.");
      String safe = get(http, port, "How do I bake bread at home?");
      assertThat(safe).contains("\"blocked\":false").contains("(demo model)");
    } finally {
      app.destroy();
      if (!app.waitFor(20, TimeUnit.SECONDS)) {
        app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static int awaitPort(Process app, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      Matcher m = PORT.matcher(text);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      if (!app.isAlive()) {
        throw new AssertionError("the app exited with " + app.exitValue() + " (139 = SIGSEGV) before it listened:\n"
            + text);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the app did not listen within 120 s:\n" + Files.readString(log));
  }

  private static String get(HttpClient http, int port, String message) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/chat?message="
        + URLEncoder.encode(message, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }
}
