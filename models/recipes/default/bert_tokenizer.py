"""Pure-Python re-implementation of the HuggingFace `tokenizers` pipeline described by
all-minilm-l6-v2-tokenizer.json: BertNormalizer(clean_text, handle_chinese_chars,
strip_accents=None->follows lowercase, lowercase) + BertPreTokenizer + WordPiece(##, [UNK], 100).

It must produce exactly the ids that DJL's HuggingFaceTokenizer (Rust `tokenizers`) produces
with encode(text, addSpecialTokens=false, withOverflowingTokens=false) and no truncation.
Verified against DJL with TokenizeCheck.java (see README.md).

Also implements the Parapet input layout (the Java side implements exactly the same):
  prompt only      : [CLS] prompt [SEP]                     token_type 0
  prompt+response  : [CLS] prompt [SEP] response [SEP]      token_type 0 up to and incl. first [SEP], 1 after
  content ids are tokenized WITHOUT special tokens; total length <= MAX_TOKENS; in response mode the
  prompt segment keeps at most PROMPT_TOKENS_IN_RESPONSE tokens; a segment longer than its budget keeps
  head+tail: first ceil(budget/2)... see cut_head_tail for the exact rule.
"""
import json
import re
import unicodedata

MAX_TOKENS = 128
PROMPT_TOKENS_IN_RESPONSE = 48
CLS, SEP, PAD, UNK = 101, 102, 0, 100


# Rust char::is_whitespace = Unicode White_Space property.
_WHITE_SPACE = set(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680]
    + list(range(0x2000, 0x200B))
    + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)


def _rust_is_whitespace(c):
    return ord(c) in _WHITE_SPACE


def _is_ws(c):
    return c in "\t\n\r" or _rust_is_whitespace(c)


def _is_control(c):
    if c in "\t\n\r":
        return False
    # Rust tokenizers: c.is_other() = categories Cc, Cf, Cs, Co, Cn
    return unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _is_chinese(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B920 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_punc(c):
    cp = ord(c)
    if cp < 128:
        return (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126)
    return unicodedata.category(c).startswith("P")


def normalize(text):
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        if _is_ws(c):
            out.append(" ")
        elif _is_chinese(cp):
            out.append(" " + c + " ")
        else:
            out.append(c)
    s = "".join(out)
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    # Rust char::to_lowercase per char (Python str.lower is per-char full mapping too, except
    # the final-sigma context rule, which Rust's char-wise mapping does not apply).
    s = "".join(c.lower() if c != "\u03a3" else "\u03c3" for c in s)
    return s


def pre_tokenize(s):
    words, cur = [], []
    for c in s:
        if _is_ws(c):
            if cur:
                words.append("".join(cur)); cur = []
        elif _is_punc(c):
            if cur:
                words.append("".join(cur)); cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append("".join(cur))
    return words


class BertTokenizer:
    def __init__(self, tokenizer_json, match_special=False):
        """match_special=False (default) = the Java ContentTokenizer: tokenizer.json with every *special*
        added_tokens entry removed, so a literal "[SEP]" typed by a user becomes ordinary pieces.
        match_special=True = the unmodified tokenizer.json (special tokens matched in raw text)."""
        t = json.load(open(tokenizer_json, encoding="utf-8"))
        m = t["model"]
        assert m["type"] == "WordPiece"
        self.vocab = m["vocab"]
        self.unk = self.vocab[m["unk_token"]]
        self.prefix = m["continuing_subword_prefix"]
        self.max_chars = m["max_input_chars_per_word"]
        self._cache = {}
        # added tokens with normalized=false are matched verbatim in the raw text first, exactly like the
        # Rust tokenizers AddedVocabulary (with match_special, a literal "[SEP]" in user text -> 102).
        added = {a["content"]: a["id"] for a in t.get("added_tokens", [])
                 if not a.get("normalized", True) and (match_special or not a.get("special", False))}
        self.added = added
        self._added_re = re.compile("|".join(re.escape(k) for k in sorted(added, key=len, reverse=True))) if added else None

    def _wordpiece(self, w):
        r = self._cache.get(w)
        if r is not None:
            return r
        if len(w) > self.max_chars:
            r = [self.unk]
        else:
            ids, start, n = [], 0, len(w)
            while start < n:
                end, found = n, None
                while start < end:
                    sub = w[start:end]
                    if start > 0:
                        sub = self.prefix + sub
                    if sub in self.vocab:
                        found = self.vocab[sub]
                        break
                    end -= 1
                if found is None:
                    ids = [self.unk]
                    break
                ids.append(found)
                start = end
            r = ids
        if len(self._cache) < 500000:
            self._cache[w] = r
        return r

    def _encode_plain(self, text, ids):
        for w in pre_tokenize(normalize(text)):
            ids.extend(self._wordpiece(w))

    def encode(self, text):
        ids = []
        if self._added_re is None:
            self._encode_plain(text, ids)
            return ids
        pos = 0
        for m in self._added_re.finditer(text):
            self._encode_plain(text[pos:m.start()], ids)
            ids.append(self.added[m.group(0)])
            pos = m.end()
        self._encode_plain(text[pos:], ids)
        return ids


def cut_head_tail(ids, budget):
    """Keep the first ceil(budget/2) and the last floor(budget/2) ids when too long."""
    if len(ids) <= budget:
        return list(ids)
    if budget <= 0:
        return []
    head = (budget + 1) // 2
    tail = budget - head
    return list(ids[:head]) + (list(ids[len(ids) - tail:]) if tail > 0 else [])


def assemble(prompt_ids, response_ids=None, max_tokens=MAX_TOKENS, prompt_in_resp=PROMPT_TOKENS_IN_RESPONSE):
    """Returns (input_ids, token_type_ids). Attention mask is all ones over the returned length."""
    if response_ids is None:
        p = cut_head_tail(prompt_ids, max_tokens - 2)
        ids = [CLS] + p + [SEP]
        return ids, [0] * len(ids)
    # response mode: 3 special tokens; prompt capped at prompt_in_resp; the response gets the rest
    p = cut_head_tail(prompt_ids, min(prompt_in_resp, max_tokens - 3))
    r = cut_head_tail(response_ids, max_tokens - 3 - len(p))
    ids = [CLS] + p + [SEP] + r + [SEP]
    tt = [0] * (len(p) + 2) + [1] * (len(r) + 1)
    return ids, tt
