"""Frozen-encoder embeddings for the leave-source-out comparison (issue 12): MiniLM-L6 (v3's base), bge-small-en-v1.5,
e5-small-v2, rebuilt in torch from the fp32 ONNX initializers of the LangChain4j jars (model.py's loader, with the
layer count read from the graph). One pass per text, cached; resumable (chunks are written as they finish).

usage: /usr/bin/python3 lso_embed.py --encoder bge --onnx BGE.onnx --tokenizer BGE-tokenizer.json \
           --rows /tmp/h12/lso/rows.jsonl --out /tmp/h12/emb [--threads 1]

Input layout = the Parapet layout (bert_tokenizer.assemble, 128 tokens, prompt <= 48 in response mode), so the
heads see what a shipped model would see. e5 gets its documented "query: " prefix on the first segment.
Writes OUT/{encoder}.npz: ids, mean (mean-pooled last hidden state), cls (first token), and texts/s.
"""
import argparse, json, os, sys, time
import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_tokenizer import BertTokenizer, assemble
import model as M


def load_encoder(path):
    enc = M.load_from_onnx(path)
    enc.eval()
    return enc, len(enc.layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", required=True)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--rows", default="/tmp/h12/lso/rows.jsonl")
    ap.add_argument("--out", default="/tmp/h12/emb")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--prefix", default=None, help="text put before the first segment (e5: 'query: ')")
    ap.add_argument("--batch-tokens", type=int, default=4096)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    prefix = a.prefix if a.prefix is not None else ("query: " if a.encoder.startswith("e5") else "")
    os.makedirs(a.out, exist_ok=True)
    tok = BertTokenizer(a.tokenizer)
    rows = [json.loads(l) for l in open(a.rows, encoding="utf-8")]
    part = os.path.join(a.out, f"{a.encoder}.partial.npz")
    done = {}
    if os.path.exists(part):
        z = np.load(part, allow_pickle=False)
        done = {i: (m, c) for i, m, c in zip(z["ids"], z["mean"], z["cls"])}
    todo = [r for r in rows if r["id"] not in done]
    seqs = []
    for r in todo:
        p = tok.encode(prefix + (r["prompt"] or ""))
        ids, tt = assemble(p, tok.encode(r["response"]) if r.get("response") is not None else None)
        seqs.append((r["id"], ids, tt))
    seqs.sort(key=lambda s: len(s[1]))
    enc, nl = load_encoder(a.onnx)
    print(f"{a.encoder}: {nl} layers, {len(done)} cached, {len(seqs)} to embed", flush=True)
    t0, n0, last_save = time.time(), 0, time.time()
    i = 0
    with torch.no_grad():
        while i < len(seqs):
            T = len(seqs[min(len(seqs) - 1, i)][1])
            bs = max(1, min(128, a.batch_tokens // max(T, 1)))
            batch = seqs[i:i + bs]
            T = max(len(s[1]) for s in batch)
            ids = torch.zeros(len(batch), T, dtype=torch.long); tt = torch.zeros_like(ids); am = torch.zeros_like(ids)
            for j, (_, x, t) in enumerate(batch):
                ids[j, :len(x)] = torch.tensor(x); tt[j, :len(t)] = torch.tensor(t); am[j, :len(x)] = 1
            h = enc.run_layers(enc.embed(ids, tt), am, 0, nl)
            mean = M.ParapetEncoder.mean_pool(h, am).numpy()
            cls = h[:, 0].numpy()
            for j, (rid, _, _) in enumerate(batch):
                done[rid] = (mean[j].astype(np.float32), cls[j].astype(np.float32))
            i += len(batch); n0 += len(batch)
            if time.time() - last_save > 60 or i >= len(seqs):
                keys = list(done)
                np.savez(part, ids=np.array(keys), mean=np.stack([done[k][0] for k in keys]), cls=np.stack([done[k][1] for k in keys]))
                last_save = time.time()
                print(f"  {i}/{len(seqs)}  {n0 / (time.time() - t0):.1f} texts/s", flush=True)
    el = time.time() - t0
    keys = [r["id"] for r in rows]
    np.savez(os.path.join(a.out, f"{a.encoder}.npz"), ids=np.array(keys), mean=np.stack([done[k][0] for k in keys]),
             cls=np.stack([done[k][1] for k in keys]), texts_per_s=np.array([n0 / el if el > 0 else 0.0]), layers=np.array([nl]))
    print(f"{a.encoder}: {n0} texts in {el:.0f} s = {n0 / max(el, 1e-9):.1f} texts/s ({a.threads} thread(s))")


if __name__ == "__main__":
    main()
