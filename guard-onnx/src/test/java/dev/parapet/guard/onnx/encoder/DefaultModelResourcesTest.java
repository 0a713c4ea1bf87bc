package dev.parapet.guard.onnx.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.ModelManifest;
import dev.parapet.guard.onnx.OnnxOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classpath path of {@link EncoderGuardClassifier#loadDefault}: verification of the packaged bytes. */
class DefaultModelResourcesTest {
  private static final String DIR = EncoderGuardClassifier.DEFAULT_RESOURCE_DIR;

  /** Serves the real resources, with one file altered or hidden. */
  private static ClassLoader altering(String file, UnaryOperator<byte[]> change) {
    ClassLoader real = EncoderGuardClassifier.class.getClassLoader();
    return new ClassLoader(null) {
      @Override
      public InputStream getResourceAsStream(String name) {
        InputStream in = real.getResourceAsStream(name);
        if (!name.equals(DIR + file) || in == null) {
          return in;
        }
        try (in) {
          byte[] changed = change.apply(in.readAllBytes());
          return changed == null ? null : new ByteArrayInputStream(changed);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  @Test
  void loadDefault_packagedFiles_areVerifiedAndLoad() {
    SharedModel.assumeModel();
    try (EncoderGuardClassifier c = EncoderGuardClassifier.loadDefault(OnnxOptions.defaults(),
        altering("none", b -> b))) {
      assertTrue(c.info().id().startsWith("parapet-default@"), c.info().id());
      assertEquals("cpu", c.info().device());
    }
  }

  @Test
  void loadDefault_modelJarMissing_saysWhichDependencyToAdd() {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.loadDefault(OnnxOptions.defaults(), new ClassLoader(null) {}));
    assertTrue(e.getMessage().contains("dev.parapet:guard-default-model"), e.getMessage());
  }

  @Test
  void loadDefault_corruptPackagedModel_throwsChecksumMismatch() {
    SharedModel.assumeModel();
    ClassLoader cl = altering("model.onnx", b -> {
      b[b.length / 3] ^= 0x01;
      return b;
    });
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.loadDefault(OnnxOptions.defaults(), cl));
    assertTrue(e.getMessage().contains("model.onnx") && e.getMessage().contains("sha256 mismatch"), e.getMessage());
  }

  @Test
  void loadDefault_truncatedTokenizer_throwsSizeMismatch() {
    SharedModel.assumeModel();
    ClassLoader cl = altering("tokenizer.json", b -> java.util.Arrays.copyOf(b, b.length - 10));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.loadDefault(OnnxOptions.defaults(), cl));
    assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("size mismatch"),
        e.getMessage());
  }

  @Test
  void loadDefault_tokenizerMissingFromJar_namesTheResource() {
    SharedModel.assumeModel();
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.loadDefault(OnnxOptions.defaults(), altering("tokenizer.json", b -> null)));
    assertTrue(e.getMessage().contains(DIR + "tokenizer.json"), e.getMessage());
  }

  /** The issue 18 probe: calibration turned off in the embedded manifest, classifier id unchanged. */
  private static byte[] allowEverything(byte[] manifest) {
    String json = new String(manifest, StandardCharsets.UTF_8);
    String tampered = json.replaceFirst("(\"unsafe\"\\s*:\\s*\\{\\s*\"a\"\\s*:\\s*)[-0-9.eE]+",
        "$11e-6").replaceFirst("(\"unsafe\"\\s*:\\s*\\{\\s*\"a\"\\s*:\\s*1e-6,\\s*\"b\"\\s*:\\s*)[-0-9.eE]+",
        "$1-30");
    assertNotEquals(json, tampered, "the manifest's calibration.unsafe was not found");
    return tampered.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void loadDefault_tamperedCalibration_isRefused() {
    SharedModel.assumeModel();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> EncoderGuardClassifier.loadDefault(
        OnnxOptions.defaults(), altering("parapet-model.json", DefaultModelResourcesTest::allowEverything)));
    assertTrue(e.getMessage().contains("changed after it was sealed"), e.getMessage());
  }

  @Test
  void loadDefault_tamperedAndSealRemoved_isRefused() {
    SharedModel.assumeModel();
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> EncoderGuardClassifier.loadDefault(
        OnnxOptions.defaults(), altering("parapet-model.json", b -> new String(allowEverything(b),
            StandardCharsets.UTF_8).replaceAll(",\\s*\"manifestSha256\"\\s*:\\s*\"[0-9a-f]+\"", "")
            .getBytes(StandardCharsets.UTF_8))));
    assertTrue(e.getMessage().contains("not sealed"), e.getMessage());
  }

  @Test
  void loadFolder_tamperedThenResealed_getsANewClassifierId(@TempDir Path dir) throws IOException {
    SharedModel.copyTo(dir);
    Path manifest = dir.resolve("parapet-model.json");
    Files.write(manifest, allowEverything(Files.readAllBytes(manifest)));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("changed after it was sealed"), e.getMessage());

    ModelManifest.seal(dir);
    String original = SharedModel.get().info().id();
    try (EncoderGuardClassifier c = EncoderGuardClassifier.load(dir, OnnxOptions.defaults())) {
      assertTrue(c.info().id().startsWith("parapet-default@"), c.info().id());
      assertNotEquals(original, c.info().id(), "an edited manifest must not report the original's id");
    }
  }

  /** Checksums consistent (re-sealed after the damage) but the ONNX file truncated: refused at load, not at run. */
  @Test
  void loadFolder_truncatedModelWithMatchingManifest_isAModelLoadException(@TempDir Path dir) throws IOException {
    SharedModel.copyTo(dir);
    Path model = dir.resolve("model.onnx");
    byte[] b = Files.readAllBytes(model);
    Files.write(model, java.util.Arrays.copyOf(b, b.length / 2));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("size mismatch"), e.getMessage());
    ModelManifest.create(dir, "parapet-encoder", manifestExtras(dir));
    ModelLoadException e2 = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e2.getMessage().contains("model.onnx"), e2.getMessage());
  }

  @Test
  void loadFolder_missingTokenizer_namesTheFile(@TempDir Path dir) throws IOException {
    SharedModel.copyTo(dir);
    Files.delete(dir.resolve("tokenizer.json"));
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> EncoderGuardClassifier.load(dir, OnnxOptions.defaults()));
    assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("missing"), e.getMessage());
  }

  /** The manifest's keys other than the reserved ones, to re-create it around a damaged file. */
  private static java.util.Map<String, Object> manifestExtras(Path dir) {
    return ModelManifest.read(dir).extras();
  }
}
