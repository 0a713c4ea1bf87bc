package dev.parapet.guard.onnx.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtNativeCacheTest {
  private static final String DIR = "ai/onnxruntime/native/linux-x64/";
  private static final byte[] CORE = "core library bytes".getBytes();
  private static final byte[] JNI = "jni binding bytes".getBytes();

  @TempDir
  Path tmp;

  @Test
  void extract_fromJar_writesOnceThenReusesTheSameFiles() throws Exception {
    try (URLClassLoader cl = jar(Map.of(lib("onnxruntime"), CORE, lib("onnxruntime4j_jni"), JNI))) {
      Path root = tmp.resolve("cache");
      List<Path> files = OrtNativeCache.extract(cl, root, "linux-x64").orElseThrow();
      assertEquals(2, files.size());
      assertArrayEquals(CORE, Files.readAllBytes(files.get(0)));
      assertArrayEquals(JNI, Files.readAllBytes(files.get(1)));
      assertTrue(files.get(0).getParent().getFileName().toString().startsWith("onnxruntime-linux-x64-"));
      FileTime old = FileTime.fromMillis(1_000_000L);
      Files.setLastModifiedTime(files.get(0), old);
      assertEquals(files, OrtNativeCache.extract(cl, root, "linux-x64").orElseThrow());
      assertEquals(old, Files.getLastModifiedTime(files.get(0)), "an intact cached library is not rewritten");
      try (var list = Files.list(root)) {
        assertEquals(1, list.count(), "no temporary folders left behind");
      }
    }
  }

  @Test
  void extract_damagedCachedLibraryOfTheSameSize_isReplaced() throws Exception {
    try (URLClassLoader cl = jar(Map.of(lib("onnxruntime"), CORE, lib("onnxruntime4j_jni"), JNI))) {
      Path root = tmp.resolve("cache");
      List<Path> files = OrtNativeCache.extract(cl, root, "linux-x64").orElseThrow();
      byte[] damaged = CORE.clone();
      damaged[3] ^= 0x55;
      Files.write(files.get(0), damaged);
      List<Path> again = OrtNativeCache.extract(cl, root, "linux-x64").orElseThrow();
      assertArrayEquals(CORE, Files.readAllBytes(again.get(0)));
    }
  }

  @Test
  void extractToTemp_unwritableHomeCache_fallsBackToAPerUserTempFolder() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue("linux-x64".equals(OrtNativeCache.platform()),
        "the test jar carries linux-x64 libraries only");
    Path home = Files.writeString(tmp.resolve("home-is-a-file"), "x").resolve(".cache/parapet"); // cannot be created
    Path temp = Files.createDirectory(tmp.resolve("tmpdir"));
    String saved = System.getProperty("java.io.tmpdir");
    System.setProperty("java.io.tmpdir", temp.toString());
    try (URLClassLoader cl = jar(Map.of(lib("onnxruntime"), CORE, lib("onnxruntime4j_jni"), JNI))) {
      assertEquals(Optional.empty(), OrtNativeCache.extract(cl, home, "linux-x64"));
      List<Path> files = OrtNativeCache.extractToTemp(cl, home).orElseThrow();
      assertTrue(files.get(0).startsWith(temp.resolve("parapet-" + System.getProperty("user.name"))), files.toString());
      assertArrayEquals(CORE, Files.readAllBytes(files.get(0)));
      assertArrayEquals(JNI, Files.readAllBytes(files.get(1)));
    } finally {
      System.setProperty("java.io.tmpdir", saved);
    }
  }

  @Test
  void extract_gpuBuildMissingLibraryUnknownPlatformOrUnwritableRoot_leavesOnnxRuntimeAlone() throws Exception {
    Path root = tmp.resolve("cache");
    try (URLClassLoader gpu = jar(Map.of(lib("onnxruntime"), CORE, lib("onnxruntime4j_jni"), JNI,
        lib("onnxruntime_providers_cuda"), JNI))) {
      assertEquals(Optional.empty(), OrtNativeCache.extract(gpu, root, "linux-x64"));
    }
    try (URLClassLoader partial = jar(Map.of(lib("onnxruntime"), CORE))) {
      assertEquals(Optional.empty(), OrtNativeCache.extract(partial, root, "linux-x64"));
    }
    try (URLClassLoader cl = jar(Map.of(lib("onnxruntime"), CORE, lib("onnxruntime4j_jni"), JNI))) {
      assertEquals(Optional.empty(), OrtNativeCache.extract(cl, root, null));
      Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
      assertEquals(Optional.empty(), OrtNativeCache.extract(cl, file.resolve("cache"), "linux-x64"));
    }
    assertTrue(Files.notExists(root), "nothing written for the refused cases");
  }

  @Test
  void platform_onThisMachine_isOnnxRuntimesFolderName() {
    String p = OrtNativeCache.platform();
    assertTrue(p == null || p.matches("(linux|osx|win)-(x64|aarch64)"), p);
  }

  private static String lib(String name) {
    return DIR + System.mapLibraryName(name);
  }

  private URLClassLoader jar(Map<String, byte[]> entries) throws IOException {
    Path jar = Files.createTempFile(tmp, "natives", ".jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        j.putNextEntry(new JarEntry(e.getKey()));
        j.write(e.getValue());
        j.closeEntry();
      }
    }
    return new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
  }
}
