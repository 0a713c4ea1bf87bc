package dev.parapet.guard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parapet spark}: finding Spark and the job jar, the spark-submit command line, exit status and output. */
class SparkCommandTest {
  @TempDir Path dir;

  static Path script(Path file, String body) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/usr/bin/env bash\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  CliRunner.Result run(String... args) {
    return CliRunner.fake().run(args);
  }

  @Test
  void spark_runsSparkSubmitWithTheJobJar_localStarByDefault_streamsItsOutput_returnsItsStatus() throws Exception {
    Path home = dir.resolve("spark");
    Path argsFile = dir.resolve("args.txt");
    script(home.resolve("bin/spark-submit"), "printf '%s\\n' \"$@\" > '" + argsFile + "'\n"
        + "echo \"fake spark ran, SPARK_HOME=$SPARK_HOME\"\necho 'to stderr' >&2\nexit 7\n");
    Path jar = Files.writeString(dir.resolve("job.jar"), "not really a jar");
    CliRunner.Result r = run("spark", "--spark-home", home.toString(), "--job-jar", jar.toString(),
        "--input", "in.jsonl", "--output", "out.parquet", "--text-col", "prompt", "--response-col", "answer",
        "--policy", "default=flag@0.4", "--model", "remote:http://gpu:8000?model=m&tokenizer=/t", "--batch-size", "8",
        "--conf", "spark.executor.memory=4g", "--driver-memory", "2g", "--overwrite");
    assertEquals(7, r.exit(), r.toString());
    assertTrue(r.out().contains("fake spark ran, SPARK_HOME=" + home.toAbsolutePath()), r.toString());
    assertTrue(r.err().contains("to stderr"), r.toString());
    assertEquals(List.of("--master", "local[*]", "--class", "dev.parapet.guard.spark.ModerationJob",
        "--name", "parapet-moderate", "--driver-memory", "2g", "--conf", "spark.executor.memory=4g", jar.toString(),
        "--input", "in.jsonl", "--output", "out.parquet", "--text-col", "prompt", "--response-col", "answer",
        "--policy", "default=flag@0.4", "--model", "remote:http://gpu:8000?model=m&tokenizer=/t", "--batch-size", "8",
        "--overwrite"), Files.readAllLines(argsFile));
  }

  @Test
  void spark_givenMaster_onlyGivenJobOptionsPassed() throws Exception {
    Path home = dir.resolve("spark");
    Path argsFile = dir.resolve("args.txt");
    script(home.resolve("bin/spark-submit"), "printf '%s\\n' \"$@\" > '" + argsFile + "'\n");
    Path jar = Files.writeString(dir.resolve("job.jar"), "x");
    CliRunner.Result r = run("spark", "--spark-home", home.toString(), "--job-jar", jar.toString(), "--master",
        "yarn", "--input", "hdfs:///in", "--output", "hdfs:///out.jsonl", "--conversation-col", "chat");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(List.of("--master", "yarn", "--class", "dev.parapet.guard.spark.ModerationJob", "--name",
        "parapet-moderate", jar.toString(), "--input", "hdfs:///in", "--output", "hdfs:///out.jsonl",
        "--conversation-col", "chat"), Files.readAllLines(argsFile));
  }

  @Test
  void spark_noSparkInstalled_exitTwoSayingHowToGetIt() throws Exception {
    Path jar = Files.writeString(dir.resolve("job.jar"), "x");
    Path empty = Files.createDirectories(dir.resolve("not-spark"));
    CliRunner.Result r = run("spark", "--spark-home", empty.toString(), "--job-jar", jar.toString(), "--input", "a",
        "--output", "b", "--text-col", "t");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("--spark-home " + empty + ": no executable bin/spark-submit there"), r.err());

    String none = assertThrows(IllegalArgumentException.class,
        () -> SparkSubmit.locateSparkSubmit(Optional.empty(), Map.of("PATH", empty.toString()))).getMessage();
    assertTrue(none.contains("found none (SPARK_HOME is not set and spark-submit is not on PATH)"), none);
    assertTrue(none.contains("set SPARK_HOME, or pass --spark-home DIR"), none);
    String badHome = assertThrows(IllegalArgumentException.class, () -> SparkSubmit.locateSparkSubmit(
        Optional.empty(), Map.of("SPARK_HOME", empty.toString(), "PATH", ""))).getMessage();
    assertTrue(badHome.contains("SPARK_HOME is " + empty + " but it has no executable bin/spark-submit"), badHome);
  }

  @Test
  void locateSparkSubmit_sparkHomeBeforePath_thenPath() throws Exception {
    Path onPath = script(dir.resolve("path-bin/spark-submit"), "exit 0\n");
    Path inHome = script(dir.resolve("home/bin/spark-submit"), "exit 0\n");
    String path = dir.resolve("nothing") + java.io.File.pathSeparator + onPath.getParent();
    assertEquals(onPath, SparkSubmit.locateSparkSubmit(Optional.empty(), Map.of("PATH", path)));
    assertEquals(inHome, SparkSubmit.locateSparkSubmit(Optional.empty(),
        Map.of("PATH", path, "SPARK_HOME", dir.resolve("home").toString())));
  }

  @Test
  void locateJobJar_besideTheCliJar_orInTheSourceTree_elseSaysWhereItLooked() throws Exception {
    Path cliJar = Files.createDirectories(dir.resolve("proj/guard-cli/target")).resolve("parapet.jar");
    String missing = assertThrows(IllegalArgumentException.class,
        () -> SparkSubmit.locateJobJar(Optional.empty(), Optional.of(cliJar))).getMessage();
    assertTrue(missing.contains("no Spark job jar (parapet-spark-job.jar) found at [" + cliJar.getParent()
        .resolve("parapet-spark-job.jar")), missing);
    assertTrue(missing.contains("pass --job-jar FILE"), missing);
    Path built = Files.createDirectories(dir.resolve("proj/guard-spark/target")).resolve("parapet-spark-job.jar");
    Files.writeString(built, "x");
    assertEquals(built, SparkSubmit.locateJobJar(Optional.empty(), Optional.of(cliJar)));
    Path beside = Files.writeString(cliJar.getParent().resolve("parapet-spark-job.jar"), "x");
    assertEquals(beside, SparkSubmit.locateJobJar(Optional.empty(), Optional.of(cliJar)));

    CliRunner.Result r = run("spark", "--job-jar", dir.resolve("nope.jar").toString(), "--input", "a", "--output",
        "b", "--text-col", "t");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("--job-jar " + dir.resolve("nope.jar") + ": no such file"), r.err());
  }

  @Test
  void spark_badUsage_exitTwo() {
    CliRunner.Result noCol = run("spark", "--input", "a", "--output", "b");
    assertEquals(2, noCol.exit(), noCol.toString());
    assertTrue(noCol.err().contains("name the text column with --text-col"), noCol.err());
    CliRunner.Result noInput = run("spark", "--output", "b", "--text-col", "t");
    assertEquals(2, noInput.exit());
    assertTrue(noInput.err().contains("--input"), noInput.err());
  }
}
