package dev.parapet.guard.onnx;

import static java.util.Objects.requireNonNull;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.parapet.guard.ModelLoadException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 * turn. The content tokenizer is built from the same JSON with every {@code added_tokens} entry removed that is
 * special or, though marked {@code special: false}, is markup rather than whitespace (Qwen's {@code <think>} and
 * {@code <tool_call>}, Gemma's {@code <unused0>}); the model's vocabulary, its unknown token and whitespace-only
 * added tokens are kept. Such text falls back to ordinary sub-word pieces. Callers assemble prompts from id segments: template ids from
 * {@link #encodeTemplate}, content ids from {@link #encodeContent}.
 *
 * <p>Thread-safe for concurrent encode/decode; {@link #close()} must not race with them. Owns native memory:
 * close it (idempotent). Use after close throws {@link IllegalStateException}.
 */
public final class ContentTokenizer implements AutoCloseable {
  /** No padding or truncation: callers decide what to do with long inputs. */
  private static final Map<String, String> DJL_OPTIONS =
      Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

  private final String source;
  private final HuggingFaceTokenizer full;
  private final HuggingFaceTokenizer content;
  private final TokenizerJson json;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ContentTokenizer(String source, HuggingFaceTokenizer full, HuggingFaceTokenizer content,
      TokenizerJson json) {
    this.source = source;
    this.full = full;
    this.content = content;
    this.json = json;
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
    TokenizerJson json = TokenizerJson.parse(bytes, source);
    DjlOffline.ensure();
    HuggingFaceTokenizer full = null;
    try {
      full = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), DJL_OPTIONS);
      HuggingFaceTokenizer content = HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(json.contentBytes), DJL_OPTIONS);
      return new ContentTokenizer(source, full, content, json);
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
      // Cannot happen with the tokenizers we know (checked with Llama 3.1's, Qwen3's and Gemma 3's: no merge
      // produces an added token that is not whitespace); the unknown token is the one special id a model may
      // legitimately produce for unseen text.
      if (id != json.unkId && json.markupIds.contains(id)) {
        throw new IllegalStateException(source + ": content tokenization produced added-token id " + id
            + "; the tokenizer's merges can build a special or markup token from plain text");
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
    return json.tokenId(token);
  }

  /** One more than the largest id in the vocabulary or the added tokens. */
  public int vocabSize() {
    checkOpen();
    return json.vocabSize();
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
    return json.specialIds;
  }

  /**
   * The text of every special added token ({@code <|eot_id|>}, {@code <bos>}, ...): prompt builders split
   * template text at these to place the special ids themselves. Unmodifiable.
   */
  public Set<String> specialTokens() {
    checkOpen();
    return json.specialTokens;
  }

  /**
   * The text of every added token that {@link #encodeContent} never produces: the special ones plus the
   * non-special markup ones (Qwen's {@code <think>}; not whitespace-only tokens). Prompt builders match these in
   * template text, as the Hugging Face tokenizer does in a rendered prompt. Unmodifiable, in file order.
   */
  public Set<String> markupTokens() {
    checkOpen();
    return json.markupTokens;
  }

  /** Ids of {@link #markupTokens()}; unmodifiable. */
  public Set<Long> markupIds() {
    checkOpen();
    return json.markupIds;
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
