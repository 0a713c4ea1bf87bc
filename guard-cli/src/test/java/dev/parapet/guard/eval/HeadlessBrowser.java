package dev.parapet.guard.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs a real headless Chromium for report tests; destroys it if it hangs. */
public final class HeadlessBrowser {
  private static final long TIMEOUT_SECONDS = 90;

  private HeadlessBrowser() {}

  /** The browser binary: system property {@code parapet.chromium}, else the usual Debian paths. */
  public static Optional<Path> find() {
    List<String> candidates = new ArrayList<>();
    String prop = System.getProperty("parapet.chromium");
    if (prop != null && !prop.isBlank()) {
      candidates.add(prop);
    }
    candidates.addAll(List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
        "/usr/bin/google-chrome-stable"));
    return candidates.stream().map(Path::of).filter(Files::isExecutable).findFirst();
  }

  /** Loads {@code html} and writes a screenshot; returns the process's stdout (the DOM when dumpDom). */
  public static String run(Path browser, Path html, Path screenshot, boolean dumpDom) throws IOException,
      InterruptedException {
    Path profile = Files.createTempDirectory("parapet-chromium-profile");
    Path stdout = Files.createTempFile("chromium-out", ".txt");
    Path stderr = Files.createTempFile("chromium-err", ".txt");
    try {
      List<String> cmd = new ArrayList<>(List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,2000"));
      if (dumpDom) {
        cmd.add("--dump-dom");
      } else {
        cmd.add("--screenshot=" + screenshot);
      }
      cmd.add(html.toUri().toString());
      Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("chromium did not finish within " + TIMEOUT_SECONDS + " s; stderr:\n"
            + Files.readString(stderr, StandardCharsets.UTF_8));
      }
      String out = Files.readString(stdout, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError("chromium exited with " + p.exitValue() + "; stderr:\n"
            + Files.readString(stderr, StandardCharsets.UTF_8));
      }
      return out;
    } finally {
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
      try (Stream<Path> walk = Files.walk(profile)) {
        walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
