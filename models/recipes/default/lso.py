"""Leave-source-out (LSO) protocol of issue 12: grouped k-fold over the families of families.json, per-family metrics,
frozen-encoder heads, and the same metrics for any model scored by `parapet eval` (v3).

usage (rows from lso_data.py, embeddings from lso_embed.py, all under /tmp/h12; nothing is written into the repo):
  /usr/bin/python3 lso.py folds        --rows /tmp/h12/lso/rows.jsonl
  /usr/bin/python3 lso.py family-files --rows /tmp/h12/lso/rows.jsonl --out /tmp/h12/v3in
  /usr/bin/python3 lso.py cli          --rows /tmp/h12/lso/rows.jsonl --pred-dir /tmp/h12/v3out --out /tmp/h12/res/v3.json
  /usr/bin/python3 lso.py heads        --rows /tmp/h12/lso/rows.jsonl --emb /tmp/h12/emb/bge.npz --pool cls --out /tmp/h12/res/bge.json
  /usr/bin/python3 lso.py table        --res /tmp/h12/res/v3.json /tmp/h12/res/minilm.json ...

Protocol (every knob below is chosen on training families only):
  * folds: K = 5. Families are dealt to folds round-robin within each `kind` of families.json (in a seeded order),
    so every fold's training keeps some families of every kind; a fold's test families are never in its training,
    and lso_data.py already removed any text that occurs in two families.
  * head: standardised features, logistic regression, rows weighted so that every training family weighs the same
    and the two classes weigh the same (balance by family, not row count). C in {0.1, 1, 10} is chosen by inner
    leave-one-fold-out over the training folds (family-balanced AUPRC of the inner out-of-family scores).
  * threshold: on the same inner out-of-family scores, the lowest threshold whose FPR averaged over the training
    folds' look-alike families is <= 5%.
  * metrics per held-out family: n, AUPRC and ROC-AUC where both classes exist, precision / recall / F1 / FPR at the
    threshold (recall alone for positive-only families, FPR alone for negative-only ones). Means: over families
    (each family is held out exactly once) and over folds (pooled AUPRC of each fold's held-out rows).
"""
import argparse, collections, hashlib, json, math, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
K = 5
CS = [0.1, 1.0, 10.0]
LOOKALIKE_FPR = 0.05


def load_families(path=None):
    return json.load(open(path or os.path.join(HERE, "families.json"), encoding="utf-8"))


def assign_folds(F, k=K):
    """family -> fold. Round-robin within kind, families of a kind in sha1(seed, name) order; the fold counter runs
    on across kinds so that folds get about the same number of families."""
    by_kind = collections.defaultdict(list)
    for name, spec in F["families"].items():
        by_kind[spec["kind"]].append(name)
    fold, c = {}, 0
    for kind in sorted(by_kind):
        for name in sorted(by_kind[kind], key=lambda n: hashlib.sha1(f"{F['seed']}:{n}".encode()).hexdigest()):
            fold[name] = c % k
            c += 1
    return fold


def read_rows(path):
    return [json.loads(l) for l in open(path, encoding="utf-8")]


# ------------------------------------------------------------------ metrics
def auprc(y, s):
    from sklearn.metrics import average_precision_score
    return float(average_precision_score(y, s))


def rocauc(y, s):
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, s))


def family_metrics(y, s, pred):
    """y: 1 = unsafe; s: score; pred: 1 = flagged at the operating point."""
    y = np.asarray(y); s = np.asarray(s, dtype=float); pred = np.asarray(pred)
    n, npos = len(y), int(y.sum())
    m = {"n": n, "n_unsafe": npos}
    tp = int(((pred == 1) & (y == 1)).sum()); fp = int(((pred == 1) & (y == 0)).sum())
    if npos:
        m["recall"] = tp / npos
    if n - npos:
        m["fpr"] = fp / (n - npos)
    if npos and n - npos:
        m["auprc"] = auprc(y, s); m["rocauc"] = rocauc(y, s)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = m["recall"]
        m["precision"] = p
        m["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    return m


def summarize(per_family, F, fold_auprc=None, only=None, fold_rocauc=None):
    fams = [f for f in per_family if only is None or f in only]
    def mean(key, pred=lambda f: True):
        v = [per_family[f][key] for f in fams if key in per_family[f] and pred(f)]
        return (float(np.mean(v)), len(v)) if v else (None, 0)
    out = {
        "auprc_two_class": mean("auprc"), "f1_two_class": mean("f1"), "recall": mean("recall"), "fpr": mean("fpr"),
        "fpr_lookalike": mean("fpr", lambda f: F["families"][f]["lookalike"]),
        "recall_positive_only": mean("recall", lambda f: "fpr" not in per_family[f]),
    }
    if fold_auprc is not None:
        out["fold_pooled_auprc_mean"] = (float(np.mean(fold_auprc)), len(fold_auprc))
    if fold_rocauc:
        out["fold_pooled_rocauc_mean"] = (float(np.mean(fold_rocauc)), len(fold_rocauc))
    return out


# ------------------------------------------------------------------ heads
def family_weights(fams, y):
    """every family weighs 1 in total, then the two classes are rescaled to weigh the same."""
    fams = np.asarray(fams); y = np.asarray(y)
    w = np.zeros(len(y))
    for f in np.unique(fams):
        idx = fams == f
        w[idx] = 1.0 / idx.sum()
    for c in (0, 1):
        idx = y == c
        if idx.any():
            w[idx] *= 0.5 / w[idx].sum()
    return w * len(y)


def fit_predict(Xtr, ytr, wtr, Xte, C):
    from sklearn.linear_model import LogisticRegression
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    clf = LogisticRegression(C=C, max_iter=300, tol=1e-4)
    clf.fit((Xtr - mu) / sd, ytr, sample_weight=wtr)
    return clf.decision_function((Xte - mu) / sd)


def balanced_auprc(y, s, fams):
    """AUPRC with family-balanced weights (so that big families do not decide the choice of C)."""
    from sklearn.metrics import average_precision_score
    return float(average_precision_score(y, s, sample_weight=family_weights(fams, y)))


def lookalike_threshold(s, y, fams, F, target=LOOKALIKE_FPR):
    """lowest t with mean over look-alike families (safe rows) of FPR(t) <= target; FPR counts s >= t."""
    look = [f for f in np.unique(fams) if F["families"][f]["lookalike"] and ((fams == f) & (y == 0)).any()]
    negs = [np.sort(s[(fams == f) & (y == 0)]) for f in look]
    cand = np.unique(np.concatenate(negs))
    def mean_fpr(t):
        return float(np.mean([1.0 - np.searchsorted(n, t, side="left") / len(n) for n in negs]))
    lo, hi = 0, len(cand)  # binary search on the monotone mean FPR; t = next value above cand[i]
    while lo < hi:
        mid = (lo + hi) // 2
        if mean_fpr(np.nextafter(cand[mid], np.inf)) <= target:
            hi = mid
        else:
            lo = mid + 1
    t = float(np.nextafter(cand[lo], np.inf)) if lo < len(cand) else float(cand[-1] + 1)
    # the threshold can sit below every look-alike score only if the FPR target is met at the minimum already
    if lo == 0 and mean_fpr(float(cand[0])) <= target:
        t = float(cand[0])
    return t, mean_fpr(t)


def run_heads(rows, X, F, log=print):
    fold_of = assign_folds(F)
    fams = np.array([r["family"] for r in rows])
    y = np.array([1 if r["label"] == "unsafe" else 0 for r in rows])
    fold = np.array([fold_of[f] for f in fams])
    # inner out-of-family scores: for each ordered pair (outer i, inner j != i), train on folds not in {i, j}, score j
    pair_scores = {}
    for i in range(K):
        for j in range(i + 1, K):
            tr = (fold != i) & (fold != j); te = (fold == i) | (fold == j)
            w = family_weights(fams[tr], y[tr])
            for C in CS:
                pair_scores[(i, j, C)] = (te, fit_predict(X[tr], y[tr], w, X[te], C))
    per_family, fold_auprc, fold_rocauc, chosen = {}, [], [], {}
    for i in range(K):
        tr = fold != i
        # assemble the inner OOF score of every training row for each C
        best = None
        for C in CS:
            s_in = np.full(len(y), np.nan)
            for j in range(K):
                if j == i:
                    continue
                te, sc = pair_scores[(min(i, j), max(i, j), C)]
                idx = np.where(te)[0]
                s_in[idx[fold[idx] == j]] = sc[fold[idx] == j]
            q = balanced_auprc(y[tr], s_in[tr], fams[tr])
            if best is None or q > best[0]:
                best = (q, C, s_in)
        q, C, s_in = best
        t, fpr_in = lookalike_threshold(s_in[tr], y[tr], fams[tr], F)
        w = family_weights(fams[tr], y[tr])
        s_out = fit_predict(X[tr], y[tr], w, X[~tr], C)
        yo, fo = y[~tr], fams[~tr]
        if yo.min() != yo.max():
            fold_auprc.append(auprc(yo, s_out))
            fold_rocauc.append(rocauc(yo, s_out))
        for f in np.unique(fo):
            idx = fo == f
            per_family[f] = family_metrics(yo[idx], s_out[idx], (s_out[idx] >= t).astype(int))
            per_family[f]["fold"] = i
        chosen[i] = {"C": C, "inner_auprc": q, "threshold": t, "inner_lookalike_fpr": fpr_in,
                     "test_families": sorted(set(fo.tolist()))}
        log(f"fold {i}: C={C} inner AUPRC {q:.3f} t={t:.3f} (inner look-alike FPR {fpr_in:.3f}) test {chosen[i]['test_families']}")
    return per_family, (fold_auprc, fold_rocauc), chosen


def load_emb(path, rows, pool):
    z = np.load(path)
    pos = {k: i for i, k in enumerate(z["ids"].tolist())}
    X = z[pool][[pos[r["id"]] for r in rows]].astype(np.float64)
    return X, float(z["texts_per_s"][0]), int(z["layers"][0])


# ------------------------------------------------------------------ v3 (or any model) through `parapet eval`
def v3_status(F, fam):
    spec = F["families"][fam]
    return "in-sample" if set(spec["v3"]) else "held-out"


def cli_metrics(rows, pred_dir, F):
    by_id = {r["id"]: r for r in rows}
    per_family, per_source = {}, {}
    groups = collections.defaultdict(list)
    sgroups = collections.defaultdict(list)
    for fam in F["families"]:
        p = os.path.join(pred_dir, fam, "predictions.jsonl")
        if not os.path.exists(p):
            continue
        for l in open(p, encoding="utf-8"):
            x = json.loads(l)
            if "score" not in x:
                continue  # unscored rows are counted by the CLI itself
            r = by_id[x["id"]]
            rec = (1 if r["label"] == "unsafe" else 0, x["score"], 0 if x["decision"] == "ALLOW" else 1)
            groups[fam].append(rec)
            sgroups[(fam, r["source"])].append(rec)
    for fam, recs in groups.items():
        y, s, d = zip(*recs)
        per_family[fam] = family_metrics(y, s, d)
        per_family[fam]["v3"] = v3_status(F, fam)
    for (fam, src), recs in sgroups.items():
        y, s, d = zip(*recs)
        m = family_metrics(y, s, d)
        m["v3"] = "in-sample" if src in F["families"][fam]["v3"] else "held-out"
        per_source[f"{fam}/{src}"] = m
    return per_family, per_source


# ------------------------------------------------------------------ table
def fmt(m, key):
    v = m.get(key)
    return "-" if v is None else f"{v:.3f}"


def cell(m):
    """one compact cell: AUPRC / F1 / FPR for two-class families, R for positive-only, FPR for negative-only."""
    if m is None:
        return "-"
    if "auprc" in m:
        return f"{m['auprc']:.2f} / {m['f1']:.2f} / {100 * m['fpr']:.0f}%"
    if "recall" in m:
        return f"R {m['recall']:.2f}"
    return f"FPR {100 * m['fpr']:.0f}%"


def table(results, F):
    names = [r["name"] for r in results]
    fold_of = assign_folds(F)
    lines = ["| family (fold, kind) | n (unsafe) | v3 trained on it? | " + " | ".join(names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    for fam, spec in F["families"].items():
        ms = [r["per_family"].get(fam) for r in results]
        n = next((m for m in ms if m), None)
        nn = f"{n['n']} ({n['n_unsafe']})" if n else "-"
        st = "yes (in-sample)" if spec["v3"] else "no"
        if spec["v3"] and set(spec["v3"]) != set(spec["sources"]):
            st = "partly: not " + ", ".join(s for s in spec["sources"] if s not in spec["v3"])
        lines.append(f"| {fam} ({fold_of[fam]}, {spec['kind']}) | {nn} | {st} | " + " | ".join(cell(m) for m in ms) + " |")
    return "\n".join(lines)


def summary_rows(results, F):
    held = [f for f, s in F["families"].items() if not s["v3"]]
    eng = [f for f, s in F["families"].items() if s["kind"] != "non-english"]
    held_eng = [f for f in held if f in eng]
    out = ["| mean over families | " + " | ".join(r["name"] for r in results) + " |", "|---|" + "---|" * len(results)]
    for label, only in [("all families", None), ("English families", eng), ("families v3 never trained on", held),
                        ("English families v3 never trained on", held_eng)]:
        for key, title in [("auprc_two_class", "AUPRC (two-class)"), ("f1_two_class", "F1 (two-class)"),
                           ("recall", "recall (families with unsafe rows)"), ("fpr", "FPR (families with safe rows)"),
                           ("fpr_lookalike", "FPR on look-alike families")]:
            cells = []
            for r in results:
                s = summarize(r["per_family"], F, only=only)
                v, k = s[key]
                cells.append("-" if v is None else (f"{100 * v:.1f}%" if key.startswith("fpr") else f"{v:.3f}") + f" ({k})")
            out.append(f"| {label}: {title} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["folds", "family-files", "cli", "heads", "table"])
    ap.add_argument("--rows", default="/tmp/h12/lso/rows.jsonl")
    ap.add_argument("--families", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--pred-dir", default=None)
    ap.add_argument("--emb", default=None)
    ap.add_argument("--pool", default="mean", choices=["mean", "cls"])
    ap.add_argument("--name", default=None)
    ap.add_argument("--res", nargs="*", default=[])
    a = ap.parse_args()
    F = load_families(a.families)
    if a.cmd == "folds":
        fo = assign_folds(F)
        for i in range(K):
            print(i, [f for f in F["families"] if fo[f] == i])
        return
    if a.cmd == "table":
        results = [json.load(open(p)) for p in a.res]
        print(table(results, F)); print(); print(summary_rows(results, F))
        return
    rows = read_rows(a.rows)
    if a.cmd == "family-files":
        os.makedirs(a.out, exist_ok=True)
        by = collections.defaultdict(list)
        for r in rows:
            by[r["family"]].append(r)
        for fam, rs in by.items():
            with open(os.path.join(a.out, fam + ".jsonl"), "w", encoding="utf-8") as f:
                for r in rs:
                    f.write(json.dumps({k: r[k] for k in ["id", "prompt", "response", "label", "categories", "source"]}, ensure_ascii=False) + "\n")
        print(f"{len(by)} files in {a.out}")
        return
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    if a.cmd == "cli":
        pf, ps = cli_metrics(rows, a.pred_dir, F)
        res = {"name": a.name or "v3 (shipped, parapet eval, block@0.5)", "per_family": pf, "per_source": ps}
    else:
        X, tps, nl = load_emb(a.emb, rows, a.pool)
        pf, (fa, fr), chosen = run_heads(rows, X, F)
        name = a.name or f"{os.path.basename(a.emb)[:-4]} ({nl}L, {a.pool}) + LR"
        res = {"name": name, "per_family": pf, "fold_pooled_auprc": fa, "fold_pooled_rocauc": fr, "folds": chosen, "texts_per_s": tps, "layers": nl}
    res["summary"] = summarize(res["per_family"], F, res.get("fold_pooled_auprc"), fold_rocauc=res.get("fold_pooled_rocauc"))
    json.dump(res, open(a.out, "w"), indent=1)
    print(json.dumps(res["summary"], indent=1))


if __name__ == "__main__":
    main()
