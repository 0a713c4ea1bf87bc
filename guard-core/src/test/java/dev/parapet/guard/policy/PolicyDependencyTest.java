package dev.parapet.guard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the dependency between {@code dev.parapet.guard} and {@code dev.parapet.guard.policy} one-way: the guard
 * uses policies, a policy never refers to a type of the guard's package (a cycle made {@code Triggered} and the
 * Action-to-Decision mapping live in two places). Reads the compiled classes, so fully qualified names in code,
 * signatures and generic types count as much as imports.
 */
class PolicyDependencyTest {
  /** A class name in the root package: {@code dev/parapet/guard/} then a name without a further slash. */
  private static final Pattern ROOT_TYPE = Pattern.compile("dev/parapet/guard/([A-Z][A-Za-z0-9_$]*)");

  @Test
  void policyClasses_referToNoTypeOfTheRootPackage() throws Exception {
    Map<String, Set<String>> upward = new TreeMap<>();
    int scanned = 0;
    for (Map.Entry<String, byte[]> c : classesOf(Policy.class, "dev/parapet/guard/policy/").entrySet()) {
      scanned++;
      Set<String> refs = rootTypes(c.getValue());
      if (!refs.isEmpty()) {
        upward.put(c.getKey(), refs);
      }
    }
    assertTrue(scanned >= 6, "found only " + scanned + " policy classes; is the class path layout unexpected?");
    assertEquals(Map.of(), upward, "dev.parapet.guard.policy must not depend on dev.parapet.guard (a package "
        + "cycle): move the type into policy, or the code that needs it up into the root package");
  }

  @Test
  void rootTypes_findsReferencesInAClassThatHasThem() throws Exception {
    // The scan above passes when it finds nothing; this proves it finds what is there.
    byte[] verdict = classesOf(Policy.class, "dev/parapet/guard/").get("dev/parapet/guard/Verdict.class");
    assertTrue(rootTypes(verdict).contains("Decision"), "scanner missed Verdict's reference to Decision");
  }

  private static Set<String> rootTypes(byte[] classFile) {
    // Class names in the constant pool are stored as (modified) UTF-8; ASCII names read the same in ISO-8859-1.
    Matcher m = ROOT_TYPE.matcher(new String(classFile, StandardCharsets.ISO_8859_1));
    Set<String> out = new TreeSet<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The class files directly in {@code dir} of the class path entry that holds {@code anchor}. */
  private static Map<String, byte[]> classesOf(Class<?> anchor, String dir) throws IOException, URISyntaxException {
    Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isDirectory(root)) {
      return read(root, dir);
    }
    try (FileSystem jar = FileSystems.newFileSystem(root)) {
      return read(jar.getPath("/"), dir);
    }
  }

  private static Map<String, byte[]> read(Path root, String dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(root.resolve(dir))) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().endsWith(".class")) {
          out.put(dir + p.getFileName(), Files.readAllBytes(p));
        }
      }
    }
    return out;
  }
}
