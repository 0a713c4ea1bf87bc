"""Fine-tuning under the leave-source-out protocol of issue 12: the top N encoder layers + a P(unsafe) head, trained
on CPU from cached lower-layer states, with every knob chosen on families that the scored model never saw.

usage (rows from lso_data.py, encoders from the LangChain4j jars as in README.md; nothing is written into the repo):
  /usr/bin/python3 lso_finetune.py cache --encoder minilm --onnx M.onnx --tokenizer M-tokenizer.json --top 2 --work /tmp/h12/ft
  /usr/bin/python3 lso_finetune.py pairs --encoder minilm --onnx M.onnx --top 2 --epochs 2 --work /tmp/h12/ft   # resumable
  /usr/bin/python3 lso_finetune.py score --encoder minilm --top 2 --work /tmp/h12/ft --out /tmp/h12/res/ft-minilm.json

Why pairs: lso.py's frozen heads choose C and the threshold on inner out-of-family scores (train without folds i and j,
score j). Fine-tuning is too slow on 2 cores to also retrain an outer model per fold, so this script trains one model
per unordered fold pair {i, j} (10 models, each on the other three folds) and uses it twice:
  * inner scores: for outer fold i, the training rows of fold j get the scores of model {i, j}, which saw neither
    fold, so the threshold (<= 5% FPR averaged over the training folds' look-alike families, as in lso.py) is chosen
    on out-of-family scores only;
  * outer scores: fold i's rows get the mean logit of the four models {i, j}, j != i; none of them saw fold i.
Rows are weighted so that every training family weighs the same and the two classes weigh the same (lso.py's
family_weights). The same seed and the same cached states for every pair; only the training folds differ.
"""
import argparse, copy, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lso
import model as M
from bert_tokenizer import BertTokenizer, assemble

SEED = 20261123


def load_base(a):
    """the encoder the top layers start from: a LangChain4j base (fp32 ONNX) or, with --parapet, a shipped Parapet
    model (export.py's int8 graph, e.g. ../../default/model.onnx = v3), whose unsafe logit also seeds the head."""
    return M.load_from_parapet_onnx(a.onnx) if a.parapet else M.load_from_onnx(a.onnx)


def pair_dir(a):
    d = f"{a.encoder}-top{a.top}-e{a.epochs}" + (f"-d{a.distill:g}" if a.distill else "") + (f"-lr{a.lr:g}" if a.lr != 5e-5 else "")
    return os.path.join(a.work, d + "-pairs")


def cache_path(a):
    return os.path.join(a.work, f"{a.encoder}-top{a.top}-states.npz")


def cmd_cache(a, rows):
    """hidden states entering the first trained layer, fp16, one row after another (offsets), in rows.jsonl order."""
    out = cache_path(a)
    if os.path.exists(out):
        print(f"{out} exists"); return
    prefix = "query: " if a.encoder.startswith("e5") else ""
    tok = BertTokenizer(a.tokenizer)
    enc = load_base(a); enc.eval()
    nl = len(enc.layers); start = nl - a.top
    seqs = []
    for k, r in enumerate(rows):
        p = tok.encode(prefix + (r["prompt"] or ""))
        ids, tt = assemble(p, tok.encode(r["response"]) if r.get("response") is not None else None)
        seqs.append((k, ids, tt))
    lens = np.array([len(s[1]) for s in seqs])
    off = np.concatenate([[0], np.cumsum(lens)])
    H = np.zeros((off[-1], M.H), dtype=np.float16)
    order = sorted(seqs, key=lambda s: len(s[1]))
    t0 = time.time(); i = 0
    with torch.no_grad():
        while i < len(order):
            bs = max(1, min(128, a.batch_tokens // max(len(order[i][1]), 1)))
            batch = order[i:i + bs]; T = max(len(s[1]) for s in batch)
            ids = torch.zeros(len(batch), T, dtype=torch.long); tt = torch.zeros_like(ids); am = torch.zeros_like(ids)
            for j, (_, x, t) in enumerate(batch):
                ids[j, :len(x)] = torch.tensor(x); tt[j, :len(t)] = torch.tensor(t); am[j, :len(x)] = 1
            h = enc.run_layers(enc.embed(ids, tt), am, 0, start)
            for j, (k, x, _) in enumerate(batch):
                H[off[k]:off[k] + len(x)] = h[j, :len(x)].numpy().astype(np.float16)
            i += len(batch)
    np.savez(out, H=H, off=off, ids=np.array([r["id"] for r in rows]), layers=np.array([nl]), start=np.array([start]))
    print(f"cached {len(rows)} rows ({off[-1]} tokens) through layers 0..{start - 1} of {nl} in {time.time() - t0:.0f} s")


class Top(nn.Module):
    """the trained part: encoder layers start..nl-1 (copied from the base) and one P(unsafe) logit."""

    def __init__(self, enc, start, pool, seed_head=False):
        super().__init__()
        self.layers = nn.ModuleList([copy.deepcopy(l) for l in enc.layers[start:]])
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(M.H, 1)
        if seed_head:  # a Parapet model's own unsafe logit (head row 0): epoch 0 is that model
            with torch.no_grad():
                self.head.weight.copy_(enc.head.weight[:1]); self.head.bias.copy_(enc.head.bias[:1])
        else:
            nn.init.normal_(self.head.weight, std=0.02); nn.init.zeros_(self.head.bias)
        self.pool = pool

    def forward(self, h, am, with_pooled=False):
        add = M.ParapetEncoder.add_mask(am, h.dtype)
        for l in self.layers:
            h = l(h, add)
        pooled = h[:, 0] if self.pool == "cls" else M.ParapetEncoder.mean_pool(h, am)
        pooled = self.drop(pooled)
        z = self.head(pooled).squeeze(-1)
        return (z, pooled) if with_pooled else z


def batches(idx, lens, batch_tokens, max_bs, rng):
    """length-bucketed batches (sorted within chunks of 2,048 shuffled rows), in shuffled order."""
    idx = rng.permutation(idx)
    out = []
    for c in range(0, len(idx), 2048):
        chunk = sorted(idx[c:c + 2048], key=lambda k: lens[k])
        b = []
        for k in chunk:
            if b and (len(b) + 1) * max(lens[b[-1]], lens[k]) > batch_tokens or len(b) >= max_bs:
                out.append(b); b = []
            b.append(k)
        if b:
            out.append(b)
    return [out[i] for i in rng.permutation(len(out))]


def tensors(H, off, b):
    T = max(off[k + 1] - off[k] for k in b)
    h = torch.zeros(len(b), T, M.H); am = torch.zeros(len(b), T, dtype=torch.long)
    for j, k in enumerate(b):
        n = off[k + 1] - off[k]
        h[j, :n] = torch.from_numpy(H[off[k]:off[k + 1]].astype(np.float32)); am[j, :n] = 1
    return h, am


def logits(model, H, off, idx, batch_tokens):
    model.eval()
    out = np.zeros(len(idx))
    lens = off[1:] - off[:-1]
    order = sorted(range(len(idx)), key=lambda q: lens[idx[q]])
    with torch.no_grad():
        i = 0
        while i < len(order):
            bs = max(1, min(256, batch_tokens // max(lens[idx[order[i]]], 1)))
            qs = order[i:i + bs]
            h, am = tensors(H, off, [idx[q] for q in qs])
            out[qs] = model(h, am).numpy()
            i += len(qs)
    return out


def category_head(enc):
    """a Parapet model's S1..S14 rows (frozen): --distill keeps their logits where the start model put them."""
    cat = nn.Linear(M.H, enc.head.out_features - 1)
    with torch.no_grad():
        cat.weight.copy_(enc.head.weight[1:]); cat.bias.copy_(enc.head.bias[1:])
    for p in cat.parameters():
        p.requires_grad_(False)
    return cat


def train_top(a, enc, start, pool, H, off, lens, tr, fams, y, tag):
    """top layers + unsafe head on rows tr (family- and class-balanced weights); with --distill (a --parapet start)
    a soft-target loss keeps the frozen S1..S14 rows' probabilities at the start model's, so the category heads
    still fit the changed top layers."""
    torch.manual_seed(SEED); rng = np.random.default_rng(SEED)
    w = lso.family_weights(fams[tr], y[tr])
    wt = np.zeros(len(y)); wt[tr] = w
    m = Top(enc, start, pool, seed_head=a.parapet)
    cat, cat_t = None, None
    if a.distill > 0:
        if not a.parapet:
            sys.exit("--distill needs a --parapet start model (its category rows are the targets)")
        cat = category_head(enc); m.eval(); cat_t = {}
        with torch.no_grad():
            for b in batches(tr, lens, a.batch_tokens * 2, 256, np.random.default_rng(0)):
                hh, am = tensors(H, off, b)
                _, pooled = m(hh, am, with_pooled=True)
                for k, row in zip(b, torch.sigmoid(cat(pooled))):
                    cat_t[int(k)] = row
    params = [{"params": m.layers.parameters(), "lr": a.lr}, {"params": m.head.parameters(), "lr": a.head_lr}]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    plan = [batches(tr, lens, a.batch_tokens, a.max_bs, rng) for _ in range(a.epochs)]
    total = sum(len(p) for p in plan); warm = max(1, total // 20); step = 0
    # --epochs 0 scores the start model itself under the same protocol (the baseline for --parapet)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(total, 1)))
    t0 = time.time(); run = 0.0
    for e, ep in enumerate(plan):
        m.train()
        for b in ep:
            h, am = tensors(H, off, b)
            yy = torch.tensor(y[b], dtype=torch.float32); ww = torch.tensor(wt[b], dtype=torch.float32)
            z, pooled = m(h, am, with_pooled=True)
            loss = (nn.functional.binary_cross_entropy_with_logits(z, yy, reduction="none") * ww).sum() / ww.sum()
            if cat is not None:
                tgt = torch.stack([cat_t[int(k)] for k in b])
                loss = loss + a.distill * nn.functional.binary_cross_entropy_with_logits(cat(pooled), tgt)
            opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); sched.step()
            step += 1; run = 0.98 * run + 0.02 * float(loss) if step > 1 else float(loss)
            if step % 50 == 0:
                print(f"  {tag} epoch {e} step {step}/{total} loss {run:.4f} {time.time() - t0:.0f} s", flush=True)
    return m


def training_inputs(a, rows):
    """the cached states (checked against rows), their lengths, and each row's family and label."""
    z = np.load(cache_path(a))
    H, off, start = z["H"], z["off"], int(z["start"][0])
    assert z["ids"].tolist() == [r["id"] for r in rows], "cache is for other rows: delete it and run cache again"
    fams = np.array([r["family"] for r in rows])
    y = np.array([1 if r["label"] == "unsafe" else 0 for r in rows])
    return H, off, start, off[1:] - off[:-1], fams, y


def cmd_pairs(a, rows, F):
    H, off, start, lens, fams, y = training_inputs(a, rows)
    fold_of = lso.assign_folds(F)
    fold = np.array([fold_of[f] for f in fams])
    enc = load_base(a)
    pool = "cls" if a.encoder.startswith("bge") else "mean"
    pdir = pair_dir(a)
    os.makedirs(pdir, exist_ok=True)
    pairs = [(i, j) for i in range(lso.K) for j in range(i + 1, lso.K)]
    if a.pairs:
        pairs = [p for p in pairs if f"{p[0]}{p[1]}" in a.pairs.split(",")]
    for (i, j) in pairs:
        dst = os.path.join(pdir, f"pair{i}{j}.npz")
        if os.path.exists(dst):
            continue
        tr = np.where((fold != i) & (fold != j))[0]; te = np.where((fold == i) | (fold == j))[0]
        t0 = time.time()
        m = train_top(a, enc, start, pool, H, off, lens, tr, fams, y, f"pair {i}{j}")
        s = logits(m, H, off, te, a.batch_tokens * 2)
        np.savez(dst, idx=te, score=s, seconds=np.array([time.time() - t0]), train_rows=np.array([len(tr)]))
        print(f"pair {i}{j}: {len(tr)} training rows, {a.epochs} epochs, {time.time() - t0:.0f} s", flush=True)


def cmd_score(a, rows, F):
    pdir = pair_dir(a)
    fold_of = lso.assign_folds(F)
    fams = np.array([r["family"] for r in rows])
    y = np.array([1 if r["label"] == "unsafe" else 0 for r in rows])
    fold = np.array([fold_of[f] for f in fams])
    P = {}
    for i in range(lso.K):
        for j in range(i + 1, lso.K):
            z = np.load(os.path.join(pdir, f"pair{i}{j}.npz"))
            s = np.full(len(y), np.nan); s[z["idx"]] = z["score"]
            P[(i, j)] = P[(j, i)] = (s, float(z["seconds"][0]))
    per_family, fold_auprc, fold_rocauc, chosen = {}, [], [], {}
    for i in range(lso.K):
        tr = fold != i
        s_in = np.full(len(y), np.nan)
        for j in range(lso.K):
            if j != i:
                s_in[fold == j] = P[(i, j)][0][fold == j]
        t, fpr_in = lso.lookalike_threshold(s_in[tr], y[tr], fams[tr], F)
        q = lso.balanced_auprc(y[tr], s_in[tr], fams[tr])
        s_out = np.mean([P[(i, j)][0][~tr] for j in range(lso.K) if j != i], axis=0)
        yo, fo = y[~tr], fams[~tr]
        if yo.min() != yo.max():
            fold_auprc.append(lso.auprc(yo, s_out)); fold_rocauc.append(lso.rocauc(yo, s_out))
        for f in np.unique(fo):
            idx = fo == f
            per_family[f] = lso.family_metrics(yo[idx], s_out[idx], (s_out[idx] >= t).astype(int))
            per_family[f]["fold"] = i
        chosen[i] = {"inner_auprc": q, "threshold": t, "inner_lookalike_fpr": fpr_in,
                     "test_families": sorted(set(fo.tolist()))}
        print(f"fold {i}: inner AUPRC {q:.3f} t={t:.3f} (inner look-alike FPR {fpr_in:.3f}) test {chosen[i]['test_families']}")
    secs = sorted({v[1] for v in P.values()})
    res = {"name": a.name or f"{a.encoder} top-{a.top} fine-tuned ({a.epochs} ep)", "per_family": per_family,
           "fold_pooled_auprc": fold_auprc, "fold_pooled_rocauc": fold_rocauc, "folds": chosen,
           "train_seconds_per_pair": secs}
    res["summary"] = lso.summarize(per_family, F, fold_auprc, fold_rocauc=fold_rocauc)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump(res, open(a.out, "w"), indent=1)
    print(json.dumps(res["summary"], indent=1))


def cmd_final(a, rows, F):
    """the shippable model: the same training on every row of every family (no fold held out), written as a whole
    ParapetEncoder checkpoint for export.py / calibrate_eval.py (k = 0: no layer cache applies). Lower layers and
    S1..S14 rows come from the --parapet start model, the top layers and the unsafe row from this training."""
    if not a.parapet:
        sys.exit("final needs a --parapet start model (its lower layers and category rows go into the checkpoint)")
    H, off, start, lens, fams, y = training_inputs(a, rows)
    enc = load_base(a)
    m = train_top(a, enc, start, "mean", H, off, lens, np.arange(len(rows)), fams, y, "final")
    full = copy.deepcopy(enc)
    for k, l in enumerate(m.layers):
        full.layers[start + k].load_state_dict(l.state_dict())
    with torch.no_grad():
        full.head.weight[:1].copy_(m.head.weight); full.head.bias[:1].copy_(m.head.bias)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save({"model": full.state_dict(), "k": 0, "start_model": a.onnx, "top": a.top, "epochs": a.epochs,
                "distill": a.distill, "rows": len(rows)}, a.out)
    print(f"wrote {a.out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["cache", "pairs", "score", "final"])
    ap.add_argument("--encoder", required=True)
    ap.add_argument("--onnx")
    ap.add_argument("--parapet", action="store_true",
                    help="--onnx is a shipped Parapet model (int8, 15 logits): start from it, head seeded from its unsafe logit")
    ap.add_argument("--tokenizer")
    ap.add_argument("--rows", default="/tmp/h12/lso/rows.jsonl")
    ap.add_argument("--families", default=None)
    ap.add_argument("--work", default="/tmp/h12/ft")
    ap.add_argument("--top", type=int, default=2, help="encoder layers trained (the rest stay frozen and cached)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--max-bs", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--distill", type=float, default=0.0,
                    help="with --parapet: weight of the soft-target loss that keeps the start model's S1..S14 probabilities")
    ap.add_argument("--pairs", default=None, help="only these pairs, e.g. 01,23")
    ap.add_argument("--out", default=None)
    ap.add_argument("--name", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.work, exist_ok=True)
    F = lso.load_families(a.families)
    rows = lso.read_rows(a.rows)
    {"cache": lambda: cmd_cache(a, rows), "pairs": lambda: cmd_pairs(a, rows, F),
     "score": lambda: cmd_score(a, rows, F), "final": lambda: cmd_final(a, rows, F)}[a.cmd]()


if __name__ == "__main__":
    main()
