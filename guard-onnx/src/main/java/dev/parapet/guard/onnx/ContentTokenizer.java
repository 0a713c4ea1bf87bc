package dev.parapet.guard.onnx;

import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.ModelLoadException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Hugging Face {@code tokenizer.json} loaded twice through DJL: once as is, for prompt-template text, and
 * once with its special tokens removed, for user and assistant content.
 *
 * <p><b>Why two tokenizers.</b> The Rust tokenizer behind DJL matches added tokens (such as {@code <|eot_id|>},
 * {@code <|start_header_id|>} or {@code [SEP]}) anywhere in the raw text, and DJL 0.38's
 * {@code encode(text, addSpecialTokens, withOverflow)} has no switch to turn that off: the flag only controls
 * the post-processor (BOS/EOS). A user who types {@code <|eot_id|>} would otherwise close the guard prompt's
 * turn. The content tokenizer is built from the same JSON with every {@code added_tokens} entry whose
 * {@code special} is true removed (the model's vocabulary and its unknown token are kept), so such text falls
 * back to ordinary sub-word pieces. Callers assemble prompts from id segments: template ids from
 * {@link #encodeTemplate}, content ids from {@link #encodeContent}.
 *
 * <p>Thread-safe for concurrent encode/decode; {@link #close()} must not race with them. Owns native memory:
 * close it (idempotent). Use after close throws {@link IllegalStateException}.
 */
public final class ContentTokenizer implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** No padding or truncation: callers decide what to do with long inputs. */
  private static final Map<String, String> DJL_OPTIONS =
      Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

  private final String source;
  private final HuggingFaceTokenizer full;
  private final HuggingFaceTokenizer content;
  private final Map<String, Long> tokenIds;
  private final Set<Long> specialIds;
  private final Set<String> specialTokens;
  private final int vocabSize;
  private final long unkId;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ContentTokenizer(String source, HuggingFaceTokenizer full, HuggingFaceTokenizer content,
      Map<String, Long> tokenIds, Set<Long> specialIds, int vocabSize, long unkId) {
    this.source = source;
    this.full = full;
    this.content = content;
    this.tokenIds = tokenIds;
    this.specialIds = specialIds;
    Set<String> names = new LinkedHashSet<>();
    tokenIds.forEach((t, id) -> {
      if (specialIds.contains(id)) {
        names.add(t);
      }
    });
    this.specialTokens = Collections.unmodifiableSet(names);
    this.vocabSize = vocabSize;
    this.unkId = unkId;
  }

  /** Loads {@code tokenizer.json} from a file. */
  public static ContentTokenizer load(Path tokenizerJson) {
    requireNonNull(tokenizerJson, "tokenizerJson");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(tokenizerJson);
    } catch (NoSuchFileException e) {
      throw new ModelLoadException(tokenizerJson + ": tokenizer not found. Export it with the model"
          + " (optimum-cli writes tokenizer.json next to model.onnx) and copy it into the model folder", e);
    } catch (IOException e) {
      throw new ModelLoadException(tokenizerJson + ": cannot read tokenizer: " + e.getMessage(), e);
    }
    return load(bytes, tokenizerJson.toString());
  }

  /**
   * Loads {@code tokenizer.json} from a stream (read fully, not closed).
   *
   * @param source names the stream in error messages
   */
  public static ContentTokenizer load(InputStream tokenizerJson, String source) {
    requireNonNull(tokenizerJson, "tokenizerJson");
    requireNonNull(source, "source");
    try {
      return load(tokenizerJson.readAllBytes(), source);
    } catch (IOException e) {
      throw new ModelLoadException(source + ": cannot read tokenizer: " + e.getMessage(), e);
    }
  }

  private static ContentTokenizer load(byte[] bytes, String source) {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new ModelLoadException(source + ": malformed tokenizer JSON" + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException(source + ": cannot read tokenizer: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || !root.path("model").isObject()) {
      throw new ModelLoadException(source + ": not a Hugging Face tokenizer.json (no \"model\" object);"
          + " use the tokenizer.json written by the export, not tokenizer_config.json or a SentencePiece model");
    }
    Map<String, Long> ids = new HashMap<>();
    Set<Long> special = new LinkedHashSet<>();
    long maxId = -1;
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) { // BPE, WordLevel, WordPiece: token -> id
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        long id = e.getValue().asLong();
        ids.put(e.getKey(), id);
        maxId = Math.max(maxId, id);
      }
    } else if (vocab.isArray()) { // Unigram: [[piece, score], ...], id = index
      for (int i = 0; i < vocab.size(); i++) {
        ids.putIfAbsent(vocab.get(i).path(0).asText(), (long) i);
      }
      maxId = vocab.size() - 1;
    }
    ArrayNode kept = MAPPER.createArrayNode();
    JsonNode added = root.path("added_tokens");
    for (JsonNode t : added) {
      long id = t.path("id").asLong(-1);
      String content = t.path("content").asText(null);
      if (id < 0 || content == null) {
        throw new ModelLoadException(source + ": added_tokens entry without id/content: " + t);
      }
      ids.put(content, id); // added tokens win, as in the Rust tokenizer
      maxId = Math.max(maxId, id);
      if (t.path("special").asBoolean(false)) {
        special.add(id);
      } else {
        kept.add(t);
      }
    }
    if (maxId < 0) {
      throw new ModelLoadException(source + ": tokenizer has an empty vocabulary");
    }
    String unkToken = root.path("model").path("unk_token").asText(null);
    long unk = unkToken == null ? -1 : ids.getOrDefault(unkToken, -1L);
    ObjectNode contentJson = ((ObjectNode) root).deepCopy();
    contentJson.set("added_tokens", kept);
    byte[] contentBytes;
    try {
      contentBytes = MAPPER.writeValueAsBytes(contentJson);
    } catch (JsonProcessingException e) {
      throw new ModelLoadException(source + ": cannot rewrite tokenizer JSON: " + e.getMessage(), e);
    }
    DjlOffline.ensure();
    HuggingFaceTokenizer full = null;
    try {
      full = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), DJL_OPTIONS);
      HuggingFaceTokenizer content = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(contentBytes),
          DJL_OPTIONS);
      return new ContentTokenizer(source, full, content, Collections.unmodifiableMap(ids),
          Collections.unmodifiableSet(special), Math.toIntExact(maxId + 1), unk);
    } catch (IOException | RuntimeException e) {
      if (full != null) {
        full.close();
      }
      throw new ModelLoadException(source + ": the tokenizer library rejected tokenizer.json: " + e.getMessage()
          + ". Re-export it with a current transformers/tokenizers version", e);
    }
  }

  /**
   * Tokenizes user or assistant text: no special-token matching, no BOS/EOS. Text that imitates a special
   * token ({@code <|eot_id|>}) becomes ordinary pieces, never a special id.
   */
  public long[] encodeContent(String text) {
    requireNonNull(text, "text");
    checkOpen();
    if (text.isEmpty()) {
      return new long[0];
    }
    long[] out = content.encode(text, false, false).getIds();
    for (long id : out) {
      // Cannot happen with a well-formed tokenizer (special tokens live only in added_tokens); the unknown
      // token is the one special id a model may legitimately produce for unseen text.
      if (id != unkId && specialIds.contains(id)) {
        throw new IllegalStateException(source + ": content tokenization produced special id " + id
            + "; the tokenizer's model vocabulary itself contains a special token");
      }
    }
    return out;
  }

  /** Tokenizes prompt-template text with the full tokenizer: special tokens matched, no BOS/EOS added. */
  public long[] encodeTemplate(String text) {
    requireNonNull(text, "text");
    checkOpen();
    if (text.isEmpty()) {
      return new long[0];
    }
    return full.encode(text, false, false).getIds();
  }

  /** The id of a token, looked up as written in tokenizer.json (special/added tokens, then the vocabulary). */
  public OptionalLong tokenId(String token) {
    requireNonNull(token, "token");
    checkOpen();
    Long id = tokenIds.get(token);
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  /** One more than the largest id in the vocabulary or the added tokens. */
  public int vocabSize() {
    checkOpen();
    return vocabSize;
  }

  /** Decodes ids to text, keeping special tokens. */
  public String decode(long[] ids) {
    requireNonNull(ids, "ids");
    checkOpen();
    if (ids.length == 0) {
      return "";
    }
    return full.decode(ids, false);
  }

  /** Ids of the added tokens marked special; unmodifiable. */
  public Set<Long> specialIds() {
    checkOpen();
    return specialIds;
  }

  /**
   * The text of every special added token ({@code <|eot_id|>}, {@code <bos>}, ...): prompt builders split
   * template text at these to place the special ids themselves. Unmodifiable.
   */
  public Set<String> specialTokens() {
    checkOpen();
    return specialTokens;
  }

  /** Where the tokenizer was loaded from. */
  public String source() {
    return source;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("ContentTokenizer for " + source + " is closed");
    }
  }

  /** Frees both native tokenizers. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        content.close();
      } finally {
        full.close();
      }
    }
  }
}
