package dev.parapet.guard.onnx.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Keeps ONNX Runtime's native libraries extracted in a per-user cache folder, so that a new JVM loads them
 * from there instead of unpacking about 28 MB from the jar into a fresh temporary folder (which ONNX Runtime
 * does, and deletes at exit, on every start). Measured on the 2-core development machine: creating the ONNX
 * Runtime environment took about 300 ms with the extraction and 85 ms from the cache, in a cold load of about
 * 1.5 s.
 *
 * <p>The folder is {@code $XDG_CACHE_HOME/parapet} or {@code ~/.cache/parapet}, or the folder named by the
 * system property {@value #PROPERTY}; {@code -D}{@value #PROPERTY}{@code =false} turns the cache off. Each
 * build of the libraries gets its own sub-folder, named by the platform and the CRC-32 and size of the jar
 * entries; it is written to a temporary sibling and renamed into place, so concurrent JVMs never see a half
 * written library. The cache is used through ONNX Runtime's own per-library properties
 * ({@code onnxruntime.native.onnxruntime.path}, {@code onnxruntime.native.onnxruntime4j_jni.path}) and only
 * when the application set none of its own and the classpath carries the CPU build: a GPU build loads its
 * provider libraries from the folder ONNX Runtime extracts to, so it is left alone. A cache folder that cannot be
 * written (a read-only home, as on cluster executors) falls back to {@code java.io.tmpdir/parapet-USER}, logged at
 * INFO; any other failure (unknown platform, a library not in a jar) leaves ONNX Runtime's default behaviour,
 * logged at DEBUG.
 */
final class OrtNativeCache {
  static final String PROPERTY = "parapet.onnxruntime.cache";
  private static final System.Logger LOG = System.getLogger(OrtNativeCache.class.getName());
  private static final String RESOURCE_ROOT = "ai/onnxruntime/native/";
  private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni");

  private OrtNativeCache() {}

  /** Points ONNX Runtime at the cached libraries when that is safe; call before ONNX Runtime first loads. */
  static void prepare(ClassLoader loader) {
    if (loader == null) {
      loader = ClassLoader.getSystemClassLoader();
    }
    String setting = System.getProperty(PROPERTY);
    if ("false".equalsIgnoreCase(setting) || System.getProperty("onnxruntime.native.path") != null) {
      return;
    }
    for (String lib : LIBRARIES) {
      if (System.getProperty(propertyFor(lib)) != null) {
        return;
      }
    }
    Optional<Path> root = setting != null && !setting.isBlank() ? Optional.of(Path.of(setting)) : defaultRoot();
    if (root.isEmpty()) {
      return;
    }
    Optional<List<Path>> cached = extract(loader, root.get(), platform());
    if (cached.isEmpty() && platform() != null) {
      cached = extractToTemp(loader, root.get());
    }
    cached.ifPresent(files -> {
      for (int i = 0; i < LIBRARIES.size(); i++) {
        System.setProperty(propertyFor(LIBRARIES.get(i)), files.get(i).toString());
      }
    });
  }

  /**
   * The fallback when {@code root} cannot be written (a read-only home, as on many cluster executors): a per-user
   * folder under {@code java.io.tmpdir}, said at INFO so that the choice shows in the executor's log. Empty (ONNX
   * Runtime extracts the libraries itself) when that fails too, or when there was nothing to cache.
   */
  static Optional<List<Path>> extractToTemp(ClassLoader loader, Path root) {
    String platform = platform();
    String prefix = RESOURCE_ROOT + platform + "/";
    if (loader.getResource(prefix + System.mapLibraryName(LIBRARIES.get(0))) == null
        || loader.getResource(prefix + System.mapLibraryName("onnxruntime_providers_cuda")) != null) {
      return Optional.empty(); // nothing to cache, or a GPU build: not a write failure
    }
    Path temp = tempRoot();
    Optional<List<Path>> files = extract(loader, temp, platform);
    if (files.isPresent()) {
      LOG.log(Level.INFO, "ONNX Runtime native library cache " + root + " is not writable; using the temp folder "
          + temp + " instead (set -D" + PROPERTY + "=DIR to choose a folder)");
    } else {
      LOG.log(Level.WARNING, "ONNX Runtime native library cache: neither " + root + " nor the temp folder " + temp
          + " is writable; ONNX Runtime extracts its libraries itself on every start");
    }
    return files;
  }

  /** {@code java.io.tmpdir/parapet-USER}: per user, so one user's files never block another's. */
  static Path tempRoot() {
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir"), "parapet-" + user);
  }

  /**
   * The cached copies of {@link #LIBRARIES} for {@code platform} (ONNX Runtime's folder name, e.g.
   * {@code linux-x64}) under {@code root}, written first if missing or of the wrong size; empty when the
   * classpath has no such libraries, carries a GPU build, or the cache cannot be written.
   */
  static Optional<List<Path>> extract(ClassLoader loader, Path root, String platform) {
    if (platform == null) {
      return Optional.empty();
    }
    String prefix = RESOURCE_ROOT + platform + "/";
    if (loader.getResource(prefix + System.mapLibraryName("onnxruntime_providers_cuda")) != null) {
      return Optional.empty();
    }
    try {
      List<Library> libraries = new ArrayList<>();
      StringBuilder key = new StringBuilder(platform);
      for (String name : LIBRARIES) {
        URL url = loader.getResource(prefix + System.mapLibraryName(name));
        if (url == null) {
          return Optional.empty();
        }
        Library lib = Library.of(System.mapLibraryName(name), url);
        libraries.add(lib);
        key.append('-').append(Long.toHexString(lib.stamp())).append('-').append(lib.size());
      }
      Path dir = root.resolve("onnxruntime-" + key);
      boolean complete = true;
      for (Library lib : libraries) {
        complete = complete && lib.intactIn(dir);
      }
      if (!complete) {
        write(dir, libraries);
      }
      return Optional.of(libraries.stream().map(lib -> dir.resolve(lib.file())).toList());
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "ONNX Runtime native library cache under " + root + " not used; ONNX Runtime"
          + " extracts its libraries itself", e);
      return Optional.empty();
    }
  }

  /**
   * One native library on the classpath: its file name, where it is, its size and a stamp (the CRC-32 from the
   * jar's directory, or the last-modified time of a library outside a jar), all read without unpacking it.
   */
  private record Library(String file, URL url, long stamp, long size, boolean fromJar) {
    static Library of(String file, URL url) throws IOException {
      URLConnection c = url.openConnection();
      c.setUseCaches(false);
      if (c instanceof JarURLConnection jar) {
        java.util.jar.JarEntry e = jar.getJarEntry();
        if (e == null || e.getSize() < 0) {
          throw new IOException(url + ": no size in the jar directory");
        }
        return new Library(file, url, e.getCrc() & 0xffffffffL, e.getSize(), true);
      }
      long size = c.getContentLengthLong();
      if (size < 0) {
        throw new IOException(url + ": unknown size");
      }
      return new Library(file, url, c.getLastModified(), size, false);
    }

    /**
     * Whether {@code dir} holds this library: same size, and for a library from a jar the same CRC-32 as the
     * jar entry (about 20 ms for 28 MB; a damaged library would otherwise fail ONNX Runtime's one-time
     * initialisation for the rest of the JVM's life).
     */
    boolean intactIn(Path dir) throws IOException {
      Path f = dir.resolve(file);
      if (!Files.isRegularFile(f) || Files.size(f) != size) {
        return false;
      }
      if (!fromJar) {
        return true;
      }
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
        while (ch.read(buf) > 0) {
          buf.flip();
          crc.update(buf);
          buf.clear();
        }
      }
      return crc.getValue() == stamp;
    }
  }

  /** Writes the libraries into a temporary sibling of {@code dir} and renames it into place. */
  private static void write(Path dir, List<Library> libraries) throws IOException {
    Files.createDirectories(dir.getParent());
    Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + UUID.randomUUID());
    Files.createDirectory(tmp);
    try {
      for (Library lib : libraries) {
        Path f = tmp.resolve(lib.file());
        try (InputStream in = open(lib.url())) {
          Files.copy(in, f);
        }
        if (Files.size(f) != lib.size()) {
          throw new IOException("extracted " + f + " has " + Files.size(f) + " bytes, expected " + lib.size());
        }
      }
      if (Files.exists(dir)) { // an incomplete folder (a crash before the rename cannot leave one; a user can)
        deleteTree(dir);
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        if (!Files.isDirectory(dir)) { // no atomic rename here, and nobody else won: a plain move is fine
          Files.move(tmp, dir);
        }
      } catch (IOException e) {
        if (!Files.isDirectory(dir)) {
          throw e;
        } // another JVM renamed its copy into place first (some file systems report that as a plain error)
      }
      for (Library lib : libraries) {
        if (Files.size(dir.resolve(lib.file())) != lib.size()) {
          throw new IOException(dir.resolve(lib.file()) + " has the wrong size after extraction");
        }
      }
    } finally {
      if (Files.exists(tmp)) {
        deleteTree(tmp);
      }
    }
  }

  private static InputStream open(URL url) throws IOException {
    URLConnection c = url.openConnection();
    c.setUseCaches(false);
    return c.getInputStream();
  }

  private static void deleteTree(Path p) throws IOException {
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  private static Optional<Path> defaultRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Optional.of(Path.of(xdg, "parapet"));
    }
    String home = System.getProperty("user.home");
    return home == null || home.isBlank() ? Optional.empty() : Optional.of(Path.of(home, ".cache", "parapet"));
  }

  /** ONNX Runtime's name for this platform's native folder, or null where it ships none we know. */
  static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String o = os.contains("linux") ? "linux" : os.contains("mac") || os.contains("darwin") ? "osx"
        : os.contains("windows") ? "win" : null;
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64"
        : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : null;
    return o == null || a == null || System.getProperty("java.vendor", "").contains("Android") ? null : o + "-" + a;
  }

  static String propertyFor(String library) {
    return "onnxruntime.native." + library + ".path";
  }
}
