package dev.parapet.guard.onnx.decoder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.ModelLoadException;
import java.util.Map;
import java.util.TreeSet;

/**
 * The shape of an exported decoder, read from the ONNX graph's inputs and outputs and cross-checked with
 * {@code config.json}: never guessed. Immutable.
 *
 * @param layers number of decoder layers (count of {@code past_key_values.{i}.key} inputs)
 * @param kvHeads key/value heads
 * @param headDim head dimension
 * @param vocab width of the {@code logits} output
 * @param kvType element type of the KV cache (FLOAT or FLOAT16)
 * @param logitsType element type of the logits
 * @param hasPositionIds whether the graph takes {@code position_ids}
 * @param hasUseCacheBranch whether the graph is an older Optimum "merged" decoder with {@code use_cache_branch}
 * @param maxPositions {@code max_position_embeddings} from config.json, or {@code Integer.MAX_VALUE}
 */
record ModelSpec(int layers, int kvHeads, int headDim, int vocab, OnnxJavaType kvType, OnnxJavaType logitsType,
    boolean hasPositionIds, boolean hasUseCacheBranch, int maxPositions) {

  static final String PAST = "past_key_values.";
  static final String PRESENT = "present.";

  static String pastKey(int layer) {
    return PAST + layer + ".key";
  }

  static String pastValue(int layer) {
    return PAST + layer + ".value";
  }

  static String presentKey(int layer) {
    return PRESENT + layer + ".key";
  }

  static String presentValue(int layer) {
    return PRESENT + layer + ".value";
  }

  /** Bytes per KV element. */
  int kvElementBytes() {
    return kvType == OnnxJavaType.FLOAT ? 4 : 2;
  }

  /**
   * Reads and checks the spec.
   *
   * @param file names the model file in messages
   * @param config config.json, or null when absent
   */
  static ModelSpec read(OrtSession session, String file, JsonNode config) {
    Map<String, NodeInfo> in;
    Map<String, NodeInfo> out;
    try {
      in = session.getInputInfo();
      out = session.getOutputInfo();
    } catch (OrtException e) {
      throw new ModelLoadException(file + ": cannot read the graph's inputs and outputs: " + e.getMessage(), e);
    }
    String expected = "inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key|value and outputs"
        + " logits, present.{i}.key|value, as written by optimum-cli export onnx --task text-generation-with-past";
    for (String required : new String[] {"input_ids", "attention_mask"}) {
      if (!in.containsKey(required)) {
        throw new ModelLoadException(file + ": the graph has no input '" + required + "'; found inputs "
            + new TreeSet<>(in.keySet()) + ". Expected " + expected);
      }
    }
    if (!out.containsKey("logits")) {
      throw new ModelLoadException(file + ": the graph has no output 'logits'; found outputs "
          + new TreeSet<>(out.keySet()) + ". Expected " + expected);
    }
    int layers = 0;
    while (in.containsKey(pastKey(layers))) {
      layers++;
    }
    if (layers == 0) {
      throw new ModelLoadException(file + ": the graph has no input 'past_key_values.0.key' (no KV cache); found"
          + " inputs " + new TreeSet<>(in.keySet()) + ". Export with --task text-generation-with-past (not"
          + " text-generation). Expected " + expected);
    }
    int kvHeads = -1;
    int headDim = -1;
    OnnxJavaType kvType = null;
    for (int i = 0; i < layers; i++) {
      for (String name : new String[] {pastKey(i), pastValue(i), presentKey(i), presentValue(i)}) {
        NodeInfo ni = name.startsWith(PAST) ? in.get(name) : out.get(name);
        if (ni == null) {
          throw new ModelLoadException(file + ": missing " + (name.startsWith(PAST) ? "input" : "output") + " '"
              + name + "' for layer " + i + " of " + layers + ". Expected " + expected);
        }
        TensorInfo ti = tensor(file, name, ni);
        long[] shape = ti.getShape();
        if (shape.length != 4) {
          throw new ModelLoadException(file + ": '" + name + "' has rank " + shape.length
              + ", expected [batch, kv_heads, seq, head_dim]");
        }
        if (ti.type != OnnxJavaType.FLOAT && ti.type != OnnxJavaType.FLOAT16) {
          throw new ModelLoadException(file + ": '" + name + "' has element type " + ti.type
              + "; supported KV caches are float32 and float16");
        }
        if (kvType == null) {
          kvType = ti.type;
        } else if (kvType != ti.type) {
          throw new ModelLoadException(file + ": KV tensors mix element types " + kvType + " and " + ti.type);
        }
        kvHeads = checkDim(file, name, "kv_heads", kvHeads, shape[1]);
        headDim = checkDim(file, name, "head_dim", headDim, shape[3]);
      }
    }
    TensorInfo logits = tensor(file, "logits", out.get("logits"));
    if (logits.getShape().length != 3) {
      throw new ModelLoadException(file + ": 'logits' has rank " + logits.getShape().length
          + ", expected [batch, seq, vocab]");
    }
    if (logits.type != OnnxJavaType.FLOAT && logits.type != OnnxJavaType.FLOAT16) {
      throw new ModelLoadException(file + ": 'logits' has element type " + logits.type
          + "; supported are float32 and float16");
    }
    long vocab = logits.getShape()[2];
    int maxPositions = Integer.MAX_VALUE;
    if (config != null) {
      int cfgLayers = config.path("num_hidden_layers").asInt(-1);
      if (cfgLayers > 0 && cfgLayers != layers) {
        throw new ModelLoadException(file + ": the graph has " + layers + " layers of KV inputs but config.json"
            + " says num_hidden_layers=" + cfgLayers + "; model.onnx and config.json come from different exports");
      }
      int heads = config.path("num_attention_heads").asInt(-1);
      int cfgKv = config.path("num_key_value_heads").asInt(heads);
      int hidden = config.path("hidden_size").asInt(-1);
      int cfgHeadDim = config.path("head_dim").asInt(heads > 0 && hidden > 0 ? hidden / heads : -1);
      kvHeads = reconcile(file, "kv_heads", kvHeads, cfgKv, "num_key_value_heads");
      headDim = reconcile(file, "head_dim", headDim, cfgHeadDim, "head_dim");
      int cfgVocab = config.path("vocab_size").asInt(-1);
      vocab = reconcile(file, "vocab", (int) vocab, cfgVocab, "vocab_size");
      maxPositions = config.path("max_position_embeddings").asInt(Integer.MAX_VALUE);
    }
    if (kvHeads <= 0 || headDim <= 0 || vocab <= 0) {
      throw new ModelLoadException(file + ": the graph leaves kv_heads/head_dim/vocab symbolic and there is no"
          + " config.json to read them from; copy config.json from the export into the model folder");
    }
    return new ModelSpec(layers, kvHeads, headDim, (int) vocab, kvType, logits.type,
        in.containsKey("position_ids"), in.containsKey("use_cache_branch"), maxPositions);
  }

  private static TensorInfo tensor(String file, String name, NodeInfo ni) {
    if (!(ni.getInfo() instanceof TensorInfo ti)) {
      throw new ModelLoadException(file + ": '" + name + "' is not a tensor: " + ni.getInfo());
    }
    return ti;
  }

  private static int checkDim(String file, String name, String what, int known, long dim) {
    if (dim < 0) {
      return known; // symbolic: config.json decides
    }
    if (known >= 0 && known != dim) {
      throw new ModelLoadException(file + ": '" + name + "' has " + what + "=" + dim + " but other layers have "
          + known);
    }
    return (int) dim;
  }

  private static int reconcile(String file, String what, int fromGraph, int fromConfig, String key) {
    if (fromGraph > 0 && fromConfig > 0 && fromGraph != fromConfig) {
      throw new ModelLoadException(file + ": the graph has " + what + "=" + fromGraph + " but config.json says "
          + key + "=" + fromConfig + "; model.onnx and config.json come from different exports");
    }
    return fromGraph > 0 ? fromGraph : fromConfig;
  }
}
