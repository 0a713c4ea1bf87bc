package dev.parapet.guard.onnx.internal;

import static java.util.Objects.requireNonNull;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.parapet.guard.ClassificationException;
import dev.parapet.guard.ModelLoadException;
import dev.parapet.guard.onnx.Device;
import dev.parapet.guard.onnx.OnnxOptions;
import dev.parapet.guard.spi.Cancellation;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * Creates ONNX Runtime sessions with a CPU fallback, runs them with cancellation, and translates
 * {@link OrtException} into Parapet's exceptions. Not part of the public API: shared by the decoder and encoder
 * backends of guard-onnx. Stateless and thread-safe.
 *
 * <p>The {@link OrtEnvironment} is a JVM-wide singleton that ONNX Runtime frees in a shutdown hook: it is
 * borrowed here and never closed.
 */
public final class OrtSessions {
  private static final System.Logger LOG = System.getLogger(OrtSessions.class.getName());

  private OrtSessions() {}

  /**
   * A session and the device it really runs on (after any fallback). Closing it closes the session;
   * idempotent.
   */
  public static final class Opened implements AutoCloseable {
    private final OrtSession session;
    private final Device device;
    private boolean closed;

    Opened(OrtSession session, Device device) {
      this.session = session;
      this.device = device;
    }

    public OrtSession session() {
      return session;
    }

    /** The device actually used: {@code cpu} when CUDA was asked for but could not be loaded. */
    public Device device() {
      return device;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        try {
          session.close();
        } catch (OrtException e) {
          LOG.log(Level.WARNING, "closing an ONNX Runtime session failed; ignored", e);
        }
      }
    }
  }

  /**
   * The shared ONNX Runtime environment (never close it). The first call loads ONNX Runtime's native libraries,
   * from Parapet's per-user cache where possible ({@link OrtNativeCache}).
   */
  public static OrtEnvironment environment() {
    return Environment.ENV;
  }

  /** Initialised on first use (class initialisation is thread-safe and runs once). */
  private static final class Environment {
    static final OrtEnvironment ENV = create();

    private static OrtEnvironment create() {
      OrtNativeCache.prepare(OrtEnvironment.class.getClassLoader());
      // on a big stack: ONNX Runtime's telemetry overflows a default one on a long command line (see the class)
      return NativeInitThread.call("parapet-onnxruntime-init", OrtEnvironment::getEnvironment);
    }
  }

  /**
   * Opens {@code model} (an .onnx file; external data such as {@code model.onnx_data} is found next to it).
   *
   * @param what names the model in messages, e.g. {@code "decoder model"}
   */
  public static Opened open(Path model, OnnxOptions options, String what) {
    requireNonNull(model, "model");
    requireNonNull(options, "options");
    requireNonNull(what, "what");
    if (!Files.isRegularFile(model)) {
      throw new ModelLoadException(model + ": " + what + " not found; point at the folder of an ONNX export"
          + " that contains model.onnx");
    }
    return open(opts -> environment().createSession(model.toString(), opts), options, what + " " + model);
  }

  /** Opens a model held in memory (for example one loaded from the classpath). */
  public static Opened open(byte[] model, OnnxOptions options, String what) {
    requireNonNull(model, "model");
    requireNonNull(options, "options");
    requireNonNull(what, "what");
    return open(opts -> environment().createSession(model, opts), options, what);
  }

  @FunctionalInterface
  private interface Factory {
    OrtSession create(OrtSession.SessionOptions options) throws OrtException;
  }

  private static Opened open(Factory factory, OnnxOptions options, String what) {
    Device requested = options.device();
    if (requested.isCuda()) {
      OrtSession.SessionOptions cuda = null;
      String reason;
      try {
        cuda = baseOptions(options);
        cuda.addCUDA(requested.id());
        OrtSession s = factory.create(cuda);
        return new Opened(s, requested);
      } catch (OrtException | UnsatisfiedLinkError | IllegalArgumentException e) {
        reason = e.getClass().getSimpleName() + ": " + e.getMessage();
      } finally {
        if (cuda != null) {
          cuda.close();
        }
      }
      LOG.log(Level.WARNING, "{0}: CUDA device {1} unavailable ({2}); falling back to cpu. To use the GPU, put"
          + " com.microsoft.onnxruntime:onnxruntime_gpu (Maven profile -Pcuda) on the classpath instead of"
          + " onnxruntime, with CUDA 12.x and cuDNN 9.x libraries on the library path", what, requested, reason);
    }
    try (OrtSession.SessionOptions cpu = baseOptions(options)) {
      return new Opened(factory.create(cpu), Device.cpu());
    } catch (OrtException e) {
      throw loadError("create ONNX Runtime session for " + what, e);
    }
  }

  private static OrtSession.SessionOptions baseOptions(OnnxOptions options) throws OrtException {
    OrtSession.SessionOptions o = new OrtSession.SessionOptions();
    try {
      o.setIntraOpNumThreads(options.intraOpThreads());
      o.setInterOpNumThreads(options.interOpThreads());
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (!options.cpuArena()) {
        // without the arena every tensor is a plain malloc/free, given back between runs; memory patterns plan
        // one block per input shape on top of the arena, so they go with it (texts vary in length anyway)
        o.setCPUArenaAllocator(false);
        o.setMemoryPatternOptimization(false);
      }
      return o;
    } catch (OrtException | RuntimeException e) {
      o.close();
      throw e;
    }
  }

  /**
   * Runs {@code session} and aborts the native run when {@code cancellation} fires (ONNX Runtime's
   * {@code RunOptions.setTerminate}). The caller owns (and must close) the returned result.
   *
   * @param outputs the outputs to compute, or an empty set for all
   * @param step names the step in error messages, e.g. {@code "prefill chunk 3"}
   * @throws CancellationException when cancelled before or during the run
   * @throws ClassificationException when ONNX Runtime fails
   */
  public static OrtSession.Result run(OrtSession session, Map<String, ? extends OnnxTensorLike> inputs,
      Set<String> outputs, Cancellation cancellation, String step) {
    return run(session, inputs, outputs, Map.of(), cancellation, step);
  }

  /**
   * Like {@link #run(OrtSession, Map, Set, Cancellation, String)}, and ONNX Runtime writes the outputs named in
   * {@code pinned} into those caller-owned tensors (for example tensors over the caller's direct buffers, read
   * without copying the whole output to the heap). The caller still owns and closes the pinned tensors; the
   * result does not close them.
   *
   * @param outputs the other outputs to compute; when both this and {@code pinned} are empty, all outputs
   */
  public static OrtSession.Result run(OrtSession session, Map<String, ? extends OnnxTensorLike> inputs,
      Set<String> outputs, Map<String, ? extends OnnxValue> pinned, Cancellation cancellation, String step) {
    requireNonNull(pinned, "pinned");
    requireNonNull(session, "session");
    requireNonNull(inputs, "inputs");
    requireNonNull(outputs, "outputs");
    requireNonNull(cancellation, "cancellation");
    cancellation.throwIfCancelled();
    try (OrtSession.RunOptions ro = new OrtSession.RunOptions();
        Cancellation.Registration reg = cancellation.onCancel(() -> terminate(ro))) {
      OrtSession.Result r = !pinned.isEmpty() ? session.run(inputs, outputs, pinned, ro)
          : outputs.isEmpty() ? session.run(inputs, ro) : session.run(inputs, outputs, ro);
      if (cancellation.isCancelled()) {
        r.close();
        cancellation.throwIfCancelled();
      }
      return r;
    } catch (OrtException e) {
      if (cancellation.isCancelled()) {
        CancellationException ce = new CancellationException("classification was cancelled during " + step);
        ce.initCause(e);
        throw ce;
      }
      throw runError(step, e);
    }
  }

  private static void terminate(OrtSession.RunOptions ro) {
    try {
      ro.setTerminate(true);
    } catch (OrtException e) {
      LOG.log(Level.WARNING, "could not terminate an ONNX Runtime run", e);
    }
  }

  /** Translates a failure while loading: names the step and keeps the cause. */
  public static ModelLoadException loadError(String step, OrtException e) {
    return new ModelLoadException(step + " failed: ONNX Runtime " + e.getCode() + ": " + e.getMessage()
        + ". Check that the file is a complete ONNX export (model.onnx plus model.onnx_data when present)"
        + " that this onnxruntime version supports", e);
  }

  /** Translates a failure while classifying: names the step and keeps the cause. */
  public static ClassificationException runError(String step, OrtException e) {
    return new ClassificationException(step + " failed: ONNX Runtime " + e.getCode() + ": " + e.getMessage(), e);
  }
}
