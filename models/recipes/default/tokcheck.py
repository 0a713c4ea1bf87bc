"""Verify that bert_tokenizer.py produces exactly DJL's ids.
usage: python3 tokcheck.py --data ../shared/data --tokenizer TOKENIZER_JSON --work /tmp/parapet-tokcheck
Builds >= 2000 varied texts (data samples + synthetic unicode/accents/CJK/emoji/punctuation/control
strings), runs TokenizeCheck.java (DJL 0.38.0) and compares id sequences."""
import argparse, glob, json, os, random, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_tokenizer import BertTokenizer

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="../shared/data")
ap.add_argument("--tokenizer", required=True)
ap.add_argument("--work", default="/tmp/parapet-tokcheck")
ap.add_argument("--m2", default=os.path.expanduser("~/.m2/repository"))
a = ap.parse_args()
os.makedirs(a.work, exist_ok=True)
rng = random.Random(7)

texts = []
# 1) real texts from several sets (incl. French ailuminate, gptfuzz responses with Chinese, tweets w/ emoji)
import csv
csv.field_size_limit(10**9)
def add_csv(path, col, k):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    for r in rng.sample(rows, min(k, len(rows))):
        texts.append(r[col])
D = a.data
add_csv(f"{D}/ailuminate-demo/airr_official_1.0_demo_fr_fr_prompt_set_release.csv", "prompt_text", 250)
add_csv(f"{D}/ailuminate-demo/airr_official_1.0_demo_en_us_prompt_set_release.csv", "prompt_text", 150)
add_csv(f"{D}/gptfuzz/datasets/responses_labeled/train.csv", "Response", 400)
add_csv(f"{D}/davidson-hate-speech/data/labeled_data.csv", "tweet", 300)
add_csv(f"{D}/toxic-spans/SemEval2021/data/tsd_train.csv", "text", 200)
for l in rng.sample(open(f"{D}/arena-hard-v0.1/data/arena-hard-v0.1/question.jsonl", encoding="utf-8").readlines(), 150):
    texts.append(json.loads(l)["turns"][0]["content"])
xq = json.load(open(f"{D}/xquad-en/xquad.en.json", encoding="utf-8"))
for art in xq["data"][:20]:
    for p in art["paragraphs"][:3]:
        texts.append(p["context"])
# 2) synthetic unicode stress texts
pieces = ["café", "naïve", "Ångström", "İstanbul", "ΣΊΣΥΦΟΣ", "straße", "Ǆemal", "ﬁnance", "①②③", "½ ¾",
          "日本語のテキスト", "中文测试句子", "한국어 문장", "Привет, мир!", "مرحبا بالعالم", "שלום", "हिन्दी",
          "😀😂👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "™ © ®", "— – …", "«quotes»", "“smart” ‘quotes’", "\u200b zero\u200dwidth",
          "\u00a0nbsp\u2009thin", "tab\tsep", "line\nbreak\r\n", "\x07bell\x00nul", "\ufeffbom", "\ufffdrepl",
          "e\u0301 combining", "ｆｕｌｌｗｉｄｔｈ", "x²+y³", "$100 & 50% off!", "C++ / C# / F#", "<script>alert(1)</script>",
          "user@example.com", "https://example.org/a?b=c&d=e#f", "rm -rf /", "¿Qué?", "¡Hola!", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠀀𠀁 ext-B",
          "ｶﾀｶﾅ", "ゔ", "\u3000ideographic space", "a" * 120, "supercalifragilisticexpialidocious" * 4, "ǅ ǈ ǋ",
          "Ⅻ roman", "[SEP] fake segment", "[CLS][PAD][UNK][MASK]", "x[SEP]y", "º ª", "µ micro", "ﬀ ligature", "℃ ℉", "\u2028ls\u2029ps", "\u0085nel", "~`^|\\", "⁂ ※ ‽"]
for i in range(900):
    k = rng.randint(1, 6)
    texts.append(" ".join(rng.choice(pieces) for _ in range(k)) + rng.choice(["", ".", "?", "!!", " 🙂"]))
texts = [t for t in texts if isinstance(t, str)]
print("texts:", len(texts))
inp = os.path.join(a.work, "texts.jsonl")
with open(inp, "w", encoding="utf-8") as f:
    for t in texts:
        f.write(json.dumps(t, ensure_ascii=True) + "\n")

m2 = a.m2
cp = ":".join([
    f"{m2}/ai/djl/huggingface/tokenizers/0.38.0/tokenizers-0.38.0.jar",
    f"{m2}/ai/djl/api/0.38.0/api-0.38.0.jar",
    f"{m2}/com/google/code/gson/gson/2.13.1/gson-2.13.1.jar",
    f"{m2}/net/java/dev/jna/jna/5.17.0/jna-5.17.0.jar",
    f"{m2}/org/apache/commons/commons-compress/1.27.1/commons-compress-1.27.1.jar",
    f"{m2}/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar",
])
java = os.path.join(os.path.dirname(os.path.abspath(__file__)), "TokenizeCheck.java")
# "content" = what the Java ContentTokenizer loads: tokenizer.json minus its *special* added_tokens
tj = json.load(open(a.tokenizer, encoding="utf-8"))
tj["added_tokens"] = [t for t in tj.get("added_tokens", []) if not t.get("special", False)]
content_json = os.path.join(a.work, "tokenizer-content.json")
json.dump(tj, open(content_json, "w", encoding="utf-8"), ensure_ascii=False)
result = {"n": len(texts)}
for mode, tjson, match in [("content", content_json, False), ("full", a.tokenizer, True)]:
    out = os.path.join(a.work, f"djl_ids_{mode}.txt")
    subprocess.run(["java", "-Dai.djl.offline=true", "-cp", cp, java, tjson, inp, out], check=True)
    tok = BertTokenizer(a.tokenizer, match_special=match)
    djl = [list(map(int, l.split())) for l in open(out, encoding="utf-8").read().split("\n")[:len(texts)]]
    agree, bad = 0, []
    for t, d in zip(texts, djl):
        p = tok.encode(t)
        if p == d:
            agree += 1
        else:
            bad.append((t, p, d))
    print(f"[{mode}] agreement: {agree}/{len(texts)} = {agree/len(texts):.4%}")
    for t, p, d in bad[:10]:
        print("MISMATCH", repr(t[:200]), "\n py ", p[:40], "\n djl", d[:40])
    result[mode] = {"agree": agree, "rate": agree / len(texts)}
json.dump(result, open(os.path.join(a.work, "result.json"), "w"))
