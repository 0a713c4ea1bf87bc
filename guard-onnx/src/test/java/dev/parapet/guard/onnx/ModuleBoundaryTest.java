package dev.parapet.guard.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module boundary holds for a user on the module path: a consumer module that requires guard-onnx can use its
 * API (and guard-core's, read transitively) but not {@code dev.parapet.guard.onnx.internal}. The tests run on the
 * class path (see the parent pom), so this compiles a small consumer with javac against the built modules.
 */
class ModuleBoundaryTest {
  /** Jars on the test class path that the library modules require (the rest stay off the module path). */
  private static final List<String> REQUIRED_JARS = List.of("onnxruntime", "tokenizers-", "api-", "jackson-core-",
      "jackson-databind-", "jackson-annotations-", "caffeine-", "icu4j-");

  @TempDir Path dir;

  @Test
  void consumerModule_usesTheApi_butCannotSeeOnnxInternal() throws IOException {
    Compile api = compile("probe.UsesApi", """
        package probe;
        public class UsesApi {
          dev.parapet.guard.onnx.OnnxOptions options = dev.parapet.guard.onnx.OnnxOptions.builder().build();
          dev.parapet.guard.onnx.decoder.GuardFamily family = dev.parapet.guard.onnx.decoder.GuardFamily.LLAMA_GUARD_3;
          Class<?> guard = dev.parapet.guard.Guard.class; // guard-core, read through requires transitive
        }
        """);
    assertTrue(api.ok(), "the API must compile on the module path (else the next check proves nothing):\n"
        + api.diagnostics());

    Compile internal = compile("probe.UsesInternal", """
        package probe;
        public class UsesInternal {
          Class<?> sessions = dev.parapet.guard.onnx.internal.OrtSessions.class;
        }
        """);
    assertFalse(internal.ok(), "onnx.internal must not be visible to a consumer module");
    assertTrue(internal.diagnostics().contains("dev.parapet.guard.onnx.internal")
        && internal.diagnostics().contains("not visible"), internal.diagnostics());
  }

  @Test
  void descriptor_providesEveryServiceFileProvider_andExportsNoInternalPackage() throws IOException {
    ModuleDescriptor d = ModuleFinder.of(Path.of("target", "classes")).find("dev.parapet.guard.onnx").orElseThrow()
        .descriptor();
    Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    assertEquals(Set.of("dev.parapet.guard.onnx", "dev.parapet.guard.onnx.decoder", "dev.parapet.guard.onnx.encoder"),
        exported);
    List<String> services = Files.readAllLines(
        Path.of("src/main/resources/META-INF/services/dev.parapet.guard.spi.ClassifierProvider")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    List<String> provided = d.provides().stream()
        .filter(p -> p.service().equals("dev.parapet.guard.spi.ClassifierProvider"))
        .flatMap(p -> p.providers().stream()).toList();
    assertEquals(services, provided, "module-info's provides and META-INF/services must list the same providers");
  }

  private record Compile(boolean ok, String diagnostics) {}

  private Compile compile(String className, String source) throws IOException {
    Path src = dir.resolve(className).resolve("src");
    Files.createDirectories(src.resolve("probe"));
    Files.writeString(src.resolve("module-info.java"), "module probe { requires dev.parapet.guard.onnx; }\n",
        StandardCharsets.UTF_8);
    Path file = src.resolve("probe").resolve(className.substring("probe.".length()) + ".java");
    Files.writeString(file, source, StandardCharsets.UTF_8);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("--module-path", modulePath(), "-d",
        dir.resolve(className).resolve("out").toString(), "-proc:none"));
    args.add(src.resolve("module-info.java").toString());
    args.add(file.toString());
    int status = javac.run(null, out, out, args.toArray(String[]::new));
    return new Compile(status == 0, out.toString(StandardCharsets.UTF_8));
  }

  /** This module's classes, the project modules it requires (entries with a module-info) and their jars. */
  private static String modulePath() {
    List<String> path = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(e);
      String name = p.getFileName().toString();
      boolean projectModule = e.contains("guard-") && !name.endsWith("-tests.jar") && !name.equals("test-classes")
          && (Files.isRegularFile(p.resolve("module-info.class")) || name.endsWith(".jar"));
      boolean required = name.endsWith(".jar") && REQUIRED_JARS.stream().anyMatch(name::startsWith);
      if (projectModule || required) {
        path.add(e);
      }
    }
    return String.join(File.pathSeparator, path);
  }
}
