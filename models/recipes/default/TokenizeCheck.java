import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Tokenizes texts with DJL HuggingFace Tokenizers from a local tokenizer.json and writes the ids.
 * Usage: java -Dai.djl.offline=true -cp CP TokenizeCheck.java tokenizer.json texts.jsonl out.txt [plain]
 *   texts.jsonl: one JSON string per line. out.txt: one line of space-separated ids per text.
 *   By default truncation and padding are switched off (the shipped tokenizer.json declares
 *   truncation 128 / fixed padding 128; the Parapet layout tokenizes content without special tokens,
 *   untruncated, and cuts segments itself). With "plain", newInstance(Path) is used as is.
 */
public class TokenizeCheck {
    public static void main(String[] args) throws Exception {
        Path tok = Path.of(args[0]);
        boolean plain = args.length > 3 && args[3].equals("plain");
        HuggingFaceTokenizer t;
        if (plain) {
            t = HuggingFaceTokenizer.newInstance(tok);
        } else {
            Map<String, String> opts = new HashMap<>();
            opts.put("truncation", "false");
            opts.put("padding", "false");
            opts.put("addSpecialTokens", "false");
            opts.put("maxLength", "100000");
            t = HuggingFaceTokenizer.newInstance(tok, opts);
        }
        Gson gson = new Gson();
        int n = 0;
        try (BufferedReader r = Files.newBufferedReader(Path.of(args[1]), StandardCharsets.UTF_8);
             PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String text = gson.fromJson(line, String.class);
                Encoding e = t.encode(text, false, false);
                long[] ids = e.getIds();
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < ids.length; i++) {
                    if (i > 0) sb.append(' ');
                    sb.append(ids[i]);
                }
                w.println(sb);
                n++;
            }
        }
        System.err.println("tokenized " + n + " texts (plain=" + plain + ")");
    }
}
