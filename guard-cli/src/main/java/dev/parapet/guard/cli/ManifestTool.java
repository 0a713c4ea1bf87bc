package dev.parapet.guard.cli;

import dev.parapet.guard.GuardException;
import dev.parapet.guard.onnx.ModelManifest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Command line for {@code parapet-model.json}:
 *
 * <pre>
 * java -cp parapet.jar dev.parapet.guard.cli.ManifestTool init DIR --family llama-guard-3 [--set key=value]...
 * java -cp parapet.jar dev.parapet.guard.cli.ManifestTool verify DIR
 * java -cp parapet.jar dev.parapet.guard.cli.ManifestTool seal DIR
 * </pre>
 *
 * {@code init} hashes every file in DIR and writes the manifest; {@code --set} adds family-specific keys (for
 * example {@code --set taxonomy=llama-guard-3-8b}). {@code verify} checks the manifest's seal, sizes and
 * SHA-256. {@code seal} re-seals a manifest edited on purpose (after checking the files; the classifier id
 * changes). Exit status 0 on success, 1 on a failed check, 2 on bad usage.
 *
 * <p>It lives in the CLI, not in guard-onnx: the library offers {@link ModelManifest#create},
 * {@link ModelManifest#seal} and {@link ModelManifest#verify} to code, and its jar carries no entry points.
 * {@code parapet model init|verify} do the same with more checks; this tool stays for scripts that call it.
 */
public final class ManifestTool {
  private ManifestTool() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the tool; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length < 2 || !(args[0].equals("init") || args[0].equals("verify") || args[0].equals("seal"))) {
      return usage(err, args.length == 0 ? "missing command" : "unknown command or missing DIR");
    }
    Path dir = Path.of(args[1]);
    String family = null;
    Map<String, Object> extra = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--family") && i + 1 < args.length) {
        family = args[++i];
      } else if (a.equals("--set") && i + 1 < args.length) {
        String kv = args[++i];
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          return usage(err, "--set needs key=value, got '" + kv + "'");
        }
        extra.put(kv.substring(0, eq), kv.substring(eq + 1));
      } else {
        return usage(err, "unknown option '" + a + "'");
      }
    }
    try {
      if (args[0].equals("init")) {
        if (family == null) {
          return usage(err, "init needs --family (llama-guard-3, llama-guard-4, qwen3guard-gen, shieldgemma)");
        }
        ModelManifest m = ModelManifest.create(dir, family, extra);
        out.println("wrote " + dir.resolve(ModelManifest.FILE_NAME) + " listing " + m.files().size() + " files");
      } else if (args[0].equals("seal")) {
        ModelManifest m = ModelManifest.seal(dir);
        out.println("sealed " + dir.resolve(ModelManifest.FILE_NAME) + ": " + ModelManifest.SEAL_KEY + " "
            + m.contentSha256());
      } else {
        ModelManifest m = ModelManifest.read(dir);
        m.verify(dir);
        out.println("ok: " + m.files().size() + " files match " + dir.resolve(ModelManifest.FILE_NAME));
      }
      return 0;
    } catch (GuardException | IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println("error: " + problem);
    err.println("usage: ManifestTool init DIR --family NAME [--set key=value]...");
    err.println("       ManifestTool verify DIR");
    err.println("       ManifestTool seal DIR");
    return 2;
  }
}
