package dev.parapet.guard.onnx.testing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a small Hugging Face {@code tokenizer.json} for tests: a WordLevel model whose pre-tokenizer splits
 * text into letter runs, 1-3 digit groups, whitespace runs and punctuation runs (like Llama 3, letters and
 * numbers never share a piece, so {@code "S10"} is {@code "S"} + {@code "10"}), and a Fuse decoder so that
 * decoding gives the text back. It holds the special tokens of every family Parapet supports, the decision
 * words ({@code safe}, {@code unsafe}, {@code Yes}, {@code No}, {@code Safe}, {@code Unsafe},
 * {@code Controversial}), numbers 0-99, newline pieces, every piece of the given seed texts, and filler words
 * up to the requested vocabulary size. Unknown pieces become {@code <unk>} (an ordinary, non-special id).
 *
 * <p>Ids: specials first (0..), then {@code <unk>}, then the rest; {@link #write} returns the token-to-id map.
 */
public final class TinyTokenizerJson {
  /** Pre-tokenizer pattern (Oniguruma syntax, used by the Rust tokenizer); mirrored by {@link #PIECES}. */
  static final String SPLIT_REGEX = "\\p{L}+|\\p{N}{1,3}|\\s+|[^\\s\\p{L}\\p{N}]+";
  static final Pattern PIECES = Pattern.compile("\\p{L}+|\\p{N}{1,3}|\\s+|[^\\s\\p{L}\\p{N}]+");

  /** Special tokens of Llama Guard 3/4, Qwen3, Gemma, plus BERT-style markers. */
  public static final List<String> SPECIAL_TOKENS = List.of(
      "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
      "<|header_start|>", "<|header_end|>", "<|eot|>",
      "<|im_start|>", "<|im_end|>", "<|endoftext|>",
      "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>",
      "[CLS]", "[SEP]");

  /** Added tokens that are not special (Qwen3's thinking markers). */
  public static final List<String> NON_SPECIAL_ADDED = List.of("<think>", "</think>");

  private static final List<String> BASE_WORDS = List.of(
      "safe", "unsafe", "S", "Yes", "No", "Safe", "Unsafe", "Controversial", "Safety", "Categories", "None",
      "Refusal", "\n", "\n\n", "\n\n\n", " ", "  ", "\n\n\n\n", ":", ",", ".", "'", "?", "!", "-", "<", ">", "|",
      "user", "assistant", "User", "Agent", "hello", "world", "how", "do", "I", "make", "a", "the", "cake",
      "bomb", "kill", "recipe", "for", "mayonnaise", "what", "is", "color", "of", "sky", "you", "can", "help",
      "me", "please", "thanks", "weather", "today", "tell", "story", "about", "cat", "dog", "write", "code");

  private TinyTokenizerJson() {}

  /**
   * Writes {@code tokenizer.json}.
   *
   * @param seedTexts texts whose pieces become vocabulary words (templates, test sentences)
   * @param vocabSize total size; filler words {@code w0, w1, ...} are added to reach it (must exceed the
   *     specials and base words)
   * @return token -> id, in id order
   */
  public static Map<String, Integer> write(Path file, List<String> seedTexts, int vocabSize) {
    requireNonNull(file, "file");
    requireNonNull(seedTexts, "seedTexts");
    Map<String, Integer> vocab = vocabulary(seedTexts, vocabSize);
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (String t : SPECIAL_TOKENS) {
      addedToken(added, vocab.get(t), t, true);
    }
    for (String t : NON_SPECIAL_ADDED) {
      addedToken(added, vocab.get(t), t, false);
    }
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Split");
    pre.putObject("pattern").put("Regex", SPLIT_REGEX);
    pre.put("behavior", "Isolated");
    pre.put("invert", false);
    root.putNull("post_processor");
    root.putObject("decoder").put("type", "Fuse");
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    model.put("unk_token", "<unk>");
    try {
      Files.write(file, mapper.writeValueAsBytes(root));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return vocab;
  }

  /** The vocabulary {@link #write} would use. */
  public static Map<String, Integer> vocabulary(List<String> seedTexts, int vocabSize) {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String t : SPECIAL_TOKENS) {
      vocab.put(t, vocab.size());
    }
    vocab.put("<unk>", vocab.size());
    for (String t : NON_SPECIAL_ADDED) {
      vocab.put(t, vocab.size());
    }
    List<String> words = new ArrayList<>(BASE_WORDS);
    for (int i = 0; i < 100; i++) {
      words.add(Integer.toString(i));
    }
    for (String seed : seedTexts) {
      words.addAll(pieces(seed));
    }
    for (String w : words) {
      vocab.putIfAbsent(w, vocab.size());
    }
    if (vocab.size() > vocabSize) {
      throw new IllegalArgumentException("vocabSize " + vocabSize + " is smaller than the " + vocab.size()
          + " tokens the seed texts need");
    }
    for (int i = 0; vocab.size() < vocabSize; i++) {
      vocab.putIfAbsent("w" + i, vocab.size());
    }
    return vocab;
  }

  /** How the pre-tokenizer splits {@code text}, special tokens not considered. */
  public static List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    String rest = text;
    // keep special/added tokens whole, as the tokenizer does
    Matcher m = PIECES.matcher("");
    int start = 0;
    while (start < rest.length()) {
      int nextSpecial = -1;
      String which = null;
      for (String s : allAdded()) {
        int at = rest.indexOf(s, start);
        if (at >= 0 && (nextSpecial < 0 || at < nextSpecial)) {
          nextSpecial = at;
          which = s;
        }
      }
      int end = nextSpecial < 0 ? rest.length() : nextSpecial;
      m.reset(rest.substring(start, end));
      while (m.find()) {
        out.add(m.group());
      }
      if (which == null) {
        break;
      }
      out.add(which);
      start = nextSpecial + which.length();
    }
    return out;
  }

  private static List<String> allAdded() {
    List<String> all = new ArrayList<>(SPECIAL_TOKENS);
    all.addAll(NON_SPECIAL_ADDED);
    return all;
  }

  private static void addedToken(ArrayNode added, int id, String content, boolean special) {
    ObjectNode t = added.addObject();
    t.put("id", id);
    t.put("content", content);
    t.put("single_word", false);
    t.put("lstrip", false);
    t.put("rstrip", false);
    t.put("normalized", false);
    t.put("special", special);
  }
}
