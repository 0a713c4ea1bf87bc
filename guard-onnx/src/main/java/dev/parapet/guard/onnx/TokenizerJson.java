package dev.parapet.guard.onnx;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.parapet.guard.ModelLoadException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link ContentTokenizer} needs from a Hugging Face {@code tokenizer.json}: the added tokens (with their
 * special flags), the unknown token's id, the vocabulary, and a copy of the JSON whose {@code added_tokens}
 * array keeps only the non-special entries that are pure whitespace (see {@link #isWhitespace}). Thread-safe.
 *
 * <p>Why streaming, and why the vocabulary is read lazily: in a fresh JVM, Jackson runs interpreted, and
 * building a tree of a 700 KB BERT tokenizer (30k vocabulary nodes), copying it and writing it back took about
 * 450 ms of a 1.5 s cold load on 2 cores; even skipping over the vocabulary token by token costs about 200 ms.
 * Tokenizers serialised by Hugging Face write {@code added_tokens} first and the model's {@code vocab} last
 * (after {@code unk_token}), so the load-time pass stops at the vocabulary and remembers where it starts; the
 * vocabulary is parsed on the first lookup that needs it ({@link #tokenId} of a token that is not an added
 * token, {@link #vocabSize}). In any other field order the whole file is read at load. The content copy splices
 * a rewritten {@code added_tokens} array between the original bytes before and after it, so everything else
 * reaches DJL byte for byte; DJL parses the whole file natively and rejects what is malformed past the vocab.
 */
final class TokenizerJson {
  private static final JsonFactory FACTORY = JsonFactory.builder().build();

  private final byte[] bytes;
  private final String source;
  /** Added tokens: content to id (the later entry wins on duplicates, as in the Rust tokenizer). */
  private final Map<String, Long> added;
  private final long maxAddedId;
  final Set<Long> specialIds;
  /** Content of every special added token, in file order. */
  final Set<String> specialTokens;
  /**
   * Content of every added token the content copy drops (the special ones and every non-special one that is not
   * pure whitespace, such as Qwen's {@code <think>}), in file order: prompt builders match these in template
   * text only.
   */
  final Set<String> markupTokens;
  /** Ids of {@link #markupTokens}. */
  final Set<Long> markupIds;
  final long unkId;
  final byte[] contentBytes;
  /** Byte offset of the vocabulary's opening bracket, or -1 once parsed (or when there is none). */
  private final long vocabOffset;
  private volatile Vocab vocab;

  private record Vocab(Map<String, Long> ids, long maxId) {}

  private TokenizerJson(byte[] bytes, String source, Map<String, Long> added, long maxAddedId, Set<Long> specialIds,
      Set<String> specialTokens, Set<String> markupTokens, Set<Long> markupIds, long unkId, byte[] contentBytes,
      long vocabOffset, Vocab vocab) {
    this.bytes = bytes;
    this.source = source;
    this.added = added;
    this.maxAddedId = maxAddedId;
    this.specialIds = specialIds;
    this.specialTokens = specialTokens;
    this.markupTokens = markupTokens;
    this.markupIds = markupIds;
    this.unkId = unkId;
    this.contentBytes = contentBytes;
    this.vocabOffset = vocabOffset;
    this.vocab = vocab;
  }

  /** The id of a token: added tokens first, then the vocabulary. */
  java.util.OptionalLong tokenId(String token) {
    Long id = added.get(token);
    if (id == null) {
      id = vocab().ids().get(token);
    }
    return id == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(id);
  }

  /** One more than the largest id in the vocabulary or the added tokens. */
  int vocabSize() {
    return Math.toIntExact(Math.max(maxAddedId, vocab().maxId()) + 1);
  }

  private Vocab vocab() {
    Vocab v = vocab;
    if (v == null) {
      synchronized (this) {
        v = vocab;
        if (v == null) {
          v = readVocabAt(bytes, vocabOffset, source);
          vocab = v;
        }
      }
    }
    return v;
  }

  private static Vocab readVocabAt(byte[] bytes, long offset, String source) {
    try (JsonParser p = FACTORY.createParser(bytes, (int) offset, bytes.length - (int) offset)) {
      p.nextToken();
      return readVocab(p);
    } catch (IOException e) {
      throw new ModelLoadException(source + ": malformed tokenizer vocabulary: " + e.getMessage(), e);
    }
  }

  /** Reads the vocabulary at the parser's current token (an object or a Unigram array). */
  private static Vocab readVocab(JsonParser p) throws IOException {
    Map<String, Long> ids = new HashMap<>();
    long maxId = -1;
    if (p.currentToken() == JsonToken.START_OBJECT) { // BPE, WordLevel, WordPiece: token -> id
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String token = p.currentName();
        p.nextToken();
        long id = p.getValueAsLong();
        ids.put(token, id);
        maxId = Math.max(maxId, id);
      }
    } else if (p.currentToken() == JsonToken.START_ARRAY) { // Unigram: [[piece, score], ...], id = index
      long index = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (p.currentToken() == JsonToken.START_ARRAY) {
          JsonToken t = p.nextToken();
          if (t == JsonToken.VALUE_STRING) {
            ids.putIfAbsent(p.getText(), index);
          }
          while (t != JsonToken.END_ARRAY) { // the score, and anything else in the entry
            p.skipChildren();
            t = p.nextToken();
          }
        } else {
          p.skipChildren();
        }
        index++;
      }
      maxId = index - 1;
    } else {
      p.skipChildren();
    }
    return new Vocab(ids, maxId);
  }

  /** One {@code added_tokens} entry, kept whole so a non-special one can be written back unchanged. */
  private record Added(long id, String content, boolean special, Map<String, Object> fields) {}

  static TokenizerJson parse(byte[] bytes, String source) {
    List<Added> added = new ArrayList<>();
    String unkToken = null;
    boolean sawModel = false;
    boolean sawAdded = false;
    long addedStart = -1;
    long addedEnd = -1;
    long vocabOffset = -1;
    boolean vocabEmpty = false;
    Vocab vocab = null;
    try (JsonParser p = FACTORY.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw notATokenizer(source);
      }
      top:
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("model") && value == JsonToken.START_OBJECT) {
          sawModel = true;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (key.equals("vocab") && (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY)) {
              if (sawAdded && unkToken != null) { // Hugging Face's field order: nothing needed comes later
                vocabOffset = p.currentTokenLocation().getByteOffset();
                JsonToken first = p.nextToken();
                vocabEmpty = first == JsonToken.END_OBJECT || first == JsonToken.END_ARRAY;
                break top;
              }
              vocab = readVocab(p);
            } else if (key.equals("unk_token")) {
              unkToken = v == JsonToken.VALUE_STRING ? p.getText() : ""; // "": present, but no unknown token
              p.skipChildren();
            } else {
              p.skipChildren();
            }
          }
        } else if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
          sawAdded = true;
          addedStart = p.currentTokenLocation().getByteOffset();
          while (p.nextToken() == JsonToken.START_OBJECT) {
            added.add(readAdded(p, source));
          }
          addedEnd = p.currentLocation().getByteOffset();
        } else {
          p.skipChildren();
        }
      }
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new ModelLoadException(source + ": malformed tokenizer JSON" + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException(source + ": cannot read tokenizer: " + e.getMessage(), e);
    }
    if (!sawModel) {
      throw notATokenizer(source);
    }
    if (vocabOffset < 0 && vocab == null) {
      vocab = new Vocab(Map.of(), -1);
    }
    Map<String, Long> addedIds = new HashMap<>();
    Set<Long> special = new LinkedHashSet<>();
    Set<String> specialTokens = new LinkedHashSet<>();
    Set<String> markup = new LinkedHashSet<>();
    Set<Long> markupIds = new LinkedHashSet<>();
    List<Added> kept = new ArrayList<>();
    long maxAddedId = -1;
    for (Added a : added) {
      addedIds.put(a.content(), a.id());
      maxAddedId = Math.max(maxAddedId, a.id());
      if (a.special()) {
        special.add(a.id());
        specialTokens.add(a.content());
      }
      if (a.special() || !isWhitespace(a.content())) {
        markup.add(a.content());
        markupIds.add(a.id());
      } else {
        kept.add(a);
      }
    }
    boolean noVocab = vocab != null ? vocab.maxId() < 0 : vocabEmpty;
    if (noVocab && maxAddedId < 0) {
      throw new ModelLoadException(source + ": tokenizer has an empty vocabulary");
    }
    long unk = -1;
    if (unkToken != null && !unkToken.isEmpty()) {
      Long id = addedIds.get(unkToken);
      if (id == null) { // an unknown token that is not an added token: the vocabulary is needed now
        if (vocab == null) {
          vocab = readVocabAt(bytes, vocabOffset, source);
        }
        id = vocab.ids().get(unkToken);
      }
      unk = id != null ? id : -1;
    }
    byte[] content = addedStart < 0 || kept.size() == added.size()
        ? bytes
        : splice(bytes, (int) addedStart, (int) addedEnd, kept, source);
    return new TokenizerJson(bytes, source, Map.copyOf(addedIds), maxAddedId, Collections.unmodifiableSet(special),
        Collections.unmodifiableSet(specialTokens), Collections.unmodifiableSet(markup),
        Collections.unmodifiableSet(markupIds), unk, content, vocabOffset, vocab);
  }

  /**
   * Whether an added token is only whitespace (Gemma's {@code "\n\n"} or {@code "\u2581\u2581"} runs): such tokens
   * stay in the content copy, since they cannot forge structure and the model saw them in ordinary text. Every
   * other added token, special or not ({@code <think>}, {@code <tool_call>}, {@code <unused0>}), is markup that
   * user text must not produce.
   */
  static boolean isWhitespace(String token) {
    if (token.isEmpty()) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (!Character.isWhitespace(c) && !Character.isSpaceChar(c) && c != '\u2581') {
        return false;
      }
    }
    return true;
  }

  private static Added readAdded(JsonParser p, String source) throws IOException {
    Map<String, Object> fields = new java.util.LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (v) {
        case VALUE_STRING -> fields.put(name, p.getText());
        case VALUE_NUMBER_INT -> fields.put(name, p.getLongValue());
        case VALUE_NUMBER_FLOAT -> fields.put(name, p.getDoubleValue());
        case VALUE_TRUE, VALUE_FALSE -> fields.put(name, v == JsonToken.VALUE_TRUE);
        case VALUE_NULL -> fields.put(name, null);
        default -> throw new ModelLoadException(source + ": added_tokens entry has a nested value in \"" + name
            + "\"; expected the flat form {id, content, single_word, lstrip, rstrip, normalized, special}");
      }
    }
    Object id = fields.get("id");
    Object content = fields.get("content");
    if (!(id instanceof Long) || (Long) id < 0 || !(content instanceof String)) {
      throw new ModelLoadException(source + ": added_tokens entry without id/content: " + fields);
    }
    return new Added((Long) id, (String) content, Boolean.TRUE.equals(fields.get("special")), fields);
  }

  /** {@code bytes} with [start, end) (the added_tokens array) replaced by an array of {@code kept}. */
  private static byte[] splice(byte[] bytes, int start, int end, List<Added> kept, String source) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
    out.write(bytes, 0, start);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartArray();
      for (Added a : kept) {
        g.writeStartObject();
        for (Map.Entry<String, Object> f : a.fields().entrySet()) {
          Object v = f.getValue();
          g.writeFieldName(f.getKey());
          if (v == null) {
            g.writeNull();
          } else if (v instanceof String s) {
            g.writeString(s);
          } else if (v instanceof Long l) {
            g.writeNumber(l);
          } else if (v instanceof Double d) {
            g.writeNumber(d);
          } else {
            g.writeBoolean((Boolean) v);
          }
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new ModelLoadException(source + ": cannot rewrite tokenizer JSON: " + e.getMessage(), e);
    }
    out.write(bytes, end, bytes.length - end);
    return out.toByteArray();
  }

  private static ModelLoadException notATokenizer(String source) {
    return new ModelLoadException(source + ": not a Hugging Face tokenizer.json (no \"model\" object);"
        + " use the tokenizer.json written by the export, not tokenizer_config.json or a SentencePiece model");
  }
}
