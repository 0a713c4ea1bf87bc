import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs an ONNX model with ONNX Runtime (Java) on pre-tokenized inputs, one sequence per run (batch 1).
 * Usage: java -cp ORT_JAR:GSON_JAR OrtCheck.java model.onnx inputs.jsonl out.jsonl
 *   inputs.jsonl: {"input_ids":[...],"token_type_ids":[...]} per line (attention mask = all ones).
 *   out.jsonl: per line, every model output flattened; rank-3 outputs (last_hidden_state) are mean-pooled.
 */
public class OrtCheck {
    public static void main(String[] args) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(1);
        Gson gson = new Gson();
        int n = 0;
        long t0 = System.nanoTime();
        try (OrtSession s = env.createSession(args[0], so);
             BufferedReader r = Files.newBufferedReader(Path.of(args[1]), StandardCharsets.UTF_8);
             PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonObject o = gson.fromJson(line, JsonObject.class);
                JsonArray ids = o.getAsJsonArray("input_ids"), tt = o.getAsJsonArray("token_type_ids");
                int T = ids.size();
                long[][] a = new long[1][T], m = new long[1][T], t = new long[1][T];
                for (int i = 0; i < T; i++) {
                    a[0][i] = ids.get(i).getAsLong();
                    t[0][i] = tt.get(i).getAsLong();
                    m[0][i] = 1;
                }
                Map<String, OnnxTensor> in = new HashMap<>();
                in.put("input_ids", OnnxTensor.createTensor(env, a));
                in.put("attention_mask", OnnxTensor.createTensor(env, m));
                in.put("token_type_ids", OnnxTensor.createTensor(env, t));
                JsonObject out = new JsonObject();
                try (OrtSession.Result res = s.run(in)) {
                    for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : res) {
                        Object v = e.getValue().getValue();
                        JsonArray arr = new JsonArray();
                        if (v instanceof float[][][]) {
                            float[][] h = ((float[][][]) v)[0];
                            for (int d = 0; d < h[0].length; d++) {
                                double sum = 0;
                                for (int i = 0; i < h.length; i++) sum += h[i][d];
                                arr.add(sum / h.length);
                            }
                        } else if (v instanceof float[][]) {
                            for (float f : ((float[][]) v)[0]) arr.add(f);
                        }
                        out.add(e.getKey(), arr);
                    }
                }
                for (OnnxTensor x : in.values()) x.close();
                w.println(gson.toJson(out));
                n++;
            }
        }
        System.err.printf("ran %d sequences in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    }
}
