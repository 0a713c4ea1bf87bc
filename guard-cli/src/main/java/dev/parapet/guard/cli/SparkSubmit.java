package dev.parapet.guard.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Runs guard-spark's job through the user's {@code spark-submit}: the CLI jar carries no Spark (300+ MB), the
 * installed Spark brings its own, as it would on a cluster. Finds {@code spark-submit} and the job jar, builds the
 * command line, streams the child's output and returns its exit status.
 */
final class SparkSubmit {
  static final String JOB_CLASS = "dev.parapet.guard.spark.ModerationJob";
  static final String JOB_JAR = "parapet-spark-job.jar";

  private SparkSubmit() {}

  /**
   * {@code spark-submit}: under {@code --spark-home} if given, else under {@code SPARK_HOME}, else on {@code PATH}.
   *
   * @throws IllegalArgumentException saying where it looked and how to fix it
   */
  static Path locateSparkSubmit(Optional<Path> sparkHome, Map<String, String> env) {
    String name = isWindows() ? "spark-submit.cmd" : "spark-submit";
    if (sparkHome.isPresent()) {
      Path p = sparkHome.get().resolve("bin").resolve(name);
      if (Files.isExecutable(p)) {
        return p;
      }
      throw new IllegalArgumentException("--spark-home " + sparkHome.get() + ": no executable bin/" + name + " there;"
          + " point it at an Apache Spark 4.x installation (the folder holding bin/ and jars/)");
    }
    String home = env.get("SPARK_HOME");
    if (home != null && !home.isBlank()) {
      Path p = Path.of(home).resolve("bin").resolve(name);
      if (Files.isExecutable(p)) {
        return p;
      }
      throw new IllegalArgumentException("SPARK_HOME is " + home + " but it has no executable bin/" + name
          + "; fix SPARK_HOME (an Apache Spark 4.x installation) or pass --spark-home DIR");
    }
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir).resolve(name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    throw new IllegalArgumentException("parapet spark runs the job with Apache Spark's spark-submit, and found none"
        + " (SPARK_HOME is not set and " + name + " is not on PATH); install Spark 4.x"
        + " (https://spark.apache.org/downloads.html, Scala 2.13 build) and set SPARK_HOME, or pass --spark-home DIR");
  }

  /**
   * The job jar: {@code --job-jar} if given, else {@value #JOB_JAR} beside the CLI jar, else (a source build, the
   * CLI run from {@code guard-cli/target}) {@code guard-spark/target/}{@value #JOB_JAR}.
   *
   * @param cliLocation the CLI jar, or its classes folder
   * @throws IllegalArgumentException saying where it looked and how to get one
   */
  static Path locateJobJar(Optional<Path> given, Optional<Path> cliLocation) {
    if (given.isPresent()) {
      if (Files.isRegularFile(given.get())) {
        return given.get();
      }
      throw new IllegalArgumentException("--job-jar " + given.get() + ": no such file; build it with"
          + " 'mvn -pl guard-spark -am package' (it is guard-spark/target/" + JOB_JAR + ")");
    }
    List<Path> looked = new ArrayList<>();
    if (cliLocation.isPresent()) {
      Path dir = cliLocation.get().toAbsolutePath().getParent();
      if (dir != null) {
        looked.add(dir.resolve(JOB_JAR));
        Path project = dir.getParent() == null ? null : dir.getParent().getParent();
        if (dir.getFileName() != null && dir.getFileName().toString().equals("target") && project != null) {
          looked.add(project.resolve("guard-spark").resolve("target").resolve(JOB_JAR));
        }
      }
    }
    for (Path p : looked) {
      if (Files.isRegularFile(p)) {
        return p.normalize();
      }
    }
    throw new IllegalArgumentException("no Spark job jar (" + JOB_JAR + ") found"
        + (looked.isEmpty() ? "" : " at " + looked.stream().map(p -> p.normalize().toString()).toList())
        + "; put it beside the parapet jar, or pass --job-jar FILE (build it with 'mvn -pl guard-spark -am package')");
  }

  /** Where the CLI's classes come from (its jar, or a classes folder in a source build). */
  static Optional<Path> cliLocation() {
    try {
      var source = SparkSubmit.class.getProtectionDomain().getCodeSource();
      return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
    } catch (java.net.URISyntaxException | SecurityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** {@code spark-submit --master M --class ModerationJob --name parapet-moderate [SPARK OPTIONS] JAR JOB ARGS}. */
  static List<String> command(Path sparkSubmit, String master, List<String> sparkOptions, Path jobJar,
      List<String> jobArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(sparkSubmit.toString());
    cmd.add("--master");
    cmd.add(master);
    cmd.add("--class");
    cmd.add(JOB_CLASS);
    cmd.add("--name");
    cmd.add("parapet-moderate");
    cmd.addAll(sparkOptions);
    cmd.add(jobJar.toString());
    cmd.addAll(jobArgs);
    return cmd;
  }

  /**
   * Runs {@code command}, copying the child's stdout and stderr to {@code out} and {@code err} as they come, and
   * returns its exit status. If this JVM is stopped (Ctrl-C, SIGTERM) the child is stopped too.
   */
  static int run(List<String> command, Optional<Path> sparkHome, PrintWriter out, PrintWriter err)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    sparkHome.ifPresent(h -> pb.environment().put("SPARK_HOME", h.toAbsolutePath().toString()));
    pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    Thread stop = new Thread(p::destroy, "parapet-spark-submit-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    Thread o = pump(p.getInputStream(), out, "parapet-spark-stdout");
    Thread e = pump(p.getErrorStream(), err, "parapet-spark-stderr");
    try {
      int rc = p.waitFor();
      o.join();
      e.join();
      return rc;
    } catch (InterruptedException ie) {
      p.destroy();
      throw ie;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or about to: it stops the child
      }
    }
  }

  private static Thread pump(InputStream in, PrintWriter to, String name) {
    Thread t = new Thread(() -> {
      try (Reader r = new InputStreamReader(in, Charset.defaultCharset())) {
        char[] buf = new char[8192];
        for (int n; (n = r.read(buf)) >= 0; ) {
          synchronized (to) {
            to.write(buf, 0, n);
            to.flush();
          }
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
  }
}
