#!/usr/bin/env python3
"""Turns one JMH JSON result file (from scripts/bench.sh) into guard-benchmarks/RESULTS.md.

Usage: scripts/bench_table.py RESULT.json OUT.md [--note TEXT] [--command TEXT]

Everything is computed from the one run in RESULT.json: the ratios compare benchmarks that ran in the same
JVM session, one after the other, on the same machine. Absolute numbers are printed too, marked as specific
to the machine (and to whatever else was running on it).
"""
import argparse
import datetime
import json
import platform
import os
import sys

PKG = "dev.parapet.guard.bench."
LENGTHS = [64, 256, 1024, 2048]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def to_us(value, unit):
    """Converts a JMH score unit like 'us/op' or 'ms/op' to microseconds."""
    base = unit.split("/")[0]
    factor = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}.get(base)
    if factor is None:
        raise ValueError("unexpected time unit " + unit)
    return value * factor


def events_mean(metric):
    """Mean over iterations of a JMH secondary metric from an EVENTS aux counter, whose "score" is their sum."""
    if metric is None:
        return None
    raw = [v for fork in metric.get("rawData", []) for v in fork]
    return sum(raw) / len(raw) if raw else None


class Results:
    def __init__(self, rows):
        self.rows = rows

    def find(self, method, **params):
        out = []
        for r in self.rows:
            if r["benchmark"] != PKG + method:
                continue
            p = r.get("params", {})
            if all(str(p.get(k)) == str(v) for k, v in params.items()):
                out.append(r)
        return out[0] if out else None

    def time_us(self, method, percentile=None, **params):
        r = self.find(method, **params)
        if r is None:
            return None
        pm = r["primaryMetric"]
        if percentile is not None:
            v = pm.get("scorePercentiles", {}).get(percentile)
            if v is None:
                return None
            return to_us(v, pm["scoreUnit"])
        return to_us(pm["score"], pm["scoreUnit"])

    def error_us(self, method, **params):
        r = self.find(method, **params)
        if r is None:
            return None
        pm = r["primaryMetric"]
        e = pm.get("scoreError")
        if e is None or e != e:  # NaN when too few iterations
            return None
        return to_us(e, pm["scoreUnit"])

    def aux_mean(self, method, name, **params):
        """Mean over iterations of an EVENTS aux counter (JMH reports their sum as the score)."""
        r = self.find(method, **params)
        if r is None:
            return None
        return events_mean(r.get("secondaryMetrics", {}).get(name))

    def secondary(self, method, name, **params):
        r = self.find(method, **params)
        if r is None:
            return None
        m = r.get("secondaryMetrics", {}).get(name)
        return None if m is None else m["score"]


def fmt_us(us):
    if us is None:
        return "n/a"
    if us >= 1e6:
        return "%.2f s" % (us / 1e6)
    if us >= 1e3:
        return "%.2f ms" % (us / 1e3)
    return "%.1f µs" % us


def fmt_bytes(b):
    if b is None:
        return "n/a"
    if b >= 1024 * 1024:
        return "%.1f MB" % (b / 1024 / 1024)
    if b >= 10 * 1024:
        return "%.1f KB" % (b / 1024)
    if b >= 1024:
        return "%.2f KB" % (b / 1024)
    return "%.0f B" % b


def fmt_count(x):
    if x is None:
        return "n/a"
    return "%g" % round(x, 1)


def fmt_ratio(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return "%.0fx" % x
    if x >= 10:
        return "%.1fx" % x
    return "%.2fx" % x


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def verdict(ok, detail):
    if ok is None:
        return "not measured", detail
    return ("**met**" if ok else "**missed**"), detail


def load_probe_table(path):
    """Markdown rows for LoadProbe's JSON lines (one fresh JVM each): medians and the two targets."""
    runs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                runs.append(json.loads(line))
    if not runs:
        return [], []

    def med(k):
        v = sorted(r[k] for r in runs if r.get(k, -1) >= 0)
        return None if not v else (v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2)

    rows = ["## Cold load and resident memory: embedded default (fresh JVM per run)", "",
            "`LoadProbe` (guard-benchmarks), started %d times, each in a new JVM with the model jar as a user gets it "
            "(stored entries, not the shaded benchmark jar). Cold load = "
            "`EncoderGuardClassifier.loadDefault` (ONNX Runtime's native library, read, SHA-256, tokenizer, session, "
            "load-time probes) + "
            "`Guard.build` + the first check. RSS = VmRSS after 21 checks, including the JVM itself "
            "(heap, code cache) and the native model. Medians; machine-specific." % len(runs), "",
            "| JVM start to main | load + build (incl. ONNX Runtime) | first check | cold load | RSS at main | RSS loaded | added by the guard | peak RSS | Java heap used |",
            "|---|---|---|---|---|---|---|---|---|",
            "| %d ms | %.0f ms | %.0f ms | **%.0f ms** | %s | **%.0f MB** | **%s** | %.0f MB | %.0f MB |" % (
                med("jvmToMainMs"), med("loadMs"), med("firstCheckMs"), med("coldLoadMs"),
                "n/a" if med("rssBeforeMb") is None else "%.0f MB" % med("rssBeforeMb"), med("rssMb"),
                "n/a" if med("rssBeforeMb") is None else "%.0f MB" % (med("rssMb") - med("rssBeforeMb")),
                med("peakRssMb"), med("heapUsedMb")), ""]
    cold, rss = med("coldLoadMs"), med("rssMb")
    targets = ["| Cold load of the default guard <= 1.5 s (median of %d fresh JVMs) | %s | %s |" % (
        (len(runs),) + verdict(cold <= 1500, "%.0f ms" % cold)),
               "| Resident memory of a loaded default guard <= 300 MB | %s | %s |" % verdict(
                   None if rss is None else rss <= 300, "n/a" if rss is None else "%.0f MB (VmRSS, whole JVM)%s" % (
                       rss, "" if med("rssBeforeMb") is None else
                       "; the guard added %.0f MB to a JVM at %.0f MB" % (rss - med("rssBeforeMb"), med("rssBeforeMb"))))]
    return rows, targets


def build(res, note, command, load_path=None):
    out = []
    w = out.append
    w("# Parapet benchmark results")
    w("")
    w("Generated by `scripts/bench_table.py` from one JMH run (%s)." % datetime.datetime.now(
        datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    if command:
        w("Command: `%s`" % command)
    w("")
    if note:
        w(note)
        w("")
    w("Ratios compare benchmarks of the same run. **Absolute times are specific to this machine** "
      "(%s, %d logical CPUs visible, %s) and to whatever else it was running at the time." % (
          platform.machine(), os.cpu_count() or 0, platform.platform(terse=True)))
    w("")

    # ---------------------------------------------------------------- streaming
    st = "StreamingTokenBenchmark."
    methods = {"INCREMENTAL": st + "incremental", "EVERY_32": st + "every32", "NAIVE": st + "naive",
               "INCREMENTAL_32": st + "incrementalEvery32"}
    srows = [r for r in res.rows if r["benchmark"].startswith(PKG + st)]
    backends = sorted({r.get("params", {}).get("backend") for r in srows} - {None})
    lengths = sorted({int(r["params"]["responseTokens"]) for r in srows})
    w("## Streaming: cost per streamed token at response length L")
    w("")
    w("Before each measurement the response already holds L stream tokens (built outside the timed region: "
      "the text so far for the whole-text strategies, a session that has streamed and checked L tokens for "
      "ours); the timed region streams the next tokens and the score is time per token. NAIVE re-checks the "
      "whole text at every token (4 tokens timed), EVERY_32 re-checks the whole text once per 32 tokens "
      "(NeMo-style chunking; 32 tokens timed, one check), INCREMENTAL is `Guard.openStream` at the default "
      "`StreamOptions` (a check every 32 tokens, no sentence-end checks; 32 tokens timed); INCREMENTAL@32 is "
      "the same session configured explicitly at the baseline's cadence (every 32 tokens, no sentence-end "
      "checks), so that every-32 / incremental@32 compares the same number of checks; at the current defaults "
      "the two are the same configuration, measured twice. Per-token cost at one L is per-check cost x "
      "checks / 32; \"incremental per check\" divides that out. Heap = Java heap allocated per token in the "
      "timed region.")
    w("")
    if not backends:
        w("_No streaming results in this run._")
        w("")
    for b in backends:
        w("### Backend %s" % b)
        w("")
        w("| L | naive / incremental | every-32 / incremental | every-32 / incremental@32 | incremental per token "
          "| incremental@32 per token | every-32 per token | naive per token "
          "| checks in window (incr. / incr.@32 / every-32) | incremental per check "
          "| heap per token (incr. / every-32 / naive) |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for n in lengths:
            inc = res.time_us(methods["INCREMENTAL"], backend=b, responseTokens=n)
            e32 = res.time_us(methods["EVERY_32"], backend=b, responseTokens=n)
            nai = res.time_us(methods["NAIVE"], backend=b, responseTokens=n)
            i32 = res.time_us(methods["INCREMENTAL_32"], backend=b, responseTokens=n)
            heap = " / ".join(fmt_bytes(res.aux_mean(methods[k], "heapBytesPerToken", backend=b,
                                                     responseTokens=n))
                              for k in ["INCREMENTAL", "EVERY_32", "NAIVE"])
            checks = " / ".join(fmt_count(res.aux_mean(methods[k], "checksInWindow", backend=b,
                                                       responseTokens=n))
                                for k in ["INCREMENTAL", "INCREMENTAL_32", "EVERY_32"])
            inc_checks = res.aux_mean(methods["INCREMENTAL"], "checksInWindow", backend=b, responseTokens=n)
            per_check = None if inc is None or not inc_checks else inc * 32 / inc_checks
            w("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                n, fmt_ratio(ratio(nai, inc)), fmt_ratio(ratio(e32, inc)), fmt_ratio(ratio(e32, i32)),
                fmt_us(inc), fmt_us(i32), fmt_us(e32), fmt_us(nai), checks, fmt_us(per_check), heap))
        w("")
        if lengths:
            lo, hi = lengths[0], lengths[-1]
            w("Per-token growth from L=%d to L=%d: " % (lo, hi) + ", ".join(
                "%s %s" % (k.lower(), fmt_ratio(ratio(
                    res.time_us(methods[k], backend=b, responseTokens=hi),
                    res.time_us(methods[k], backend=b, responseTokens=lo))))
                for k in ["INCREMENTAL", "INCREMENTAL_32", "EVERY_32", "NAIVE"]) + ".")
            w("")

    sr = "StreamingResponseBenchmark.streamResponse"
    rb = sorted({r.get("params", {}).get("backend") for r in res.rows
                 if r["benchmark"] == PKG + sr} - {None})
    if rb:
        w("## Whole responses through `StreamingSession` (amortized cost and allocation per token)")
        w("")
        w("Open a session, stream a whole response token by token, `finish()`, close; time and "
          "`gc.alloc.rate.norm` (JMH `-prof gc`) are divided by the response's tokens. Allocation counts "
          "the Java heap only, not ONNX Runtime's native buffers.")
        w("")
        w("| Backend | response tokens | time per token | allocation per token |")
        w("|---|---|---|---|")
        for b in rb:
            r = res.find(sr, backend=b)
            n = r["params"].get("responseTokens", "512")
            alloc = res.secondary(sr, "gc.alloc.rate.norm", backend=b)
            w("| %s | %s | %s | %s |" % (b, n, fmt_us(res.time_us(sr, backend=b)),
                                         "n/a (run with -prof gc)" if alloc is None else "%.0f B" % alloc))
        w("")

    # ---------------------------------------------------------------- single checks
    cb = "ClassifyBenchmark."
    g50 = res.time_us(cb + "guardCheck", percentile="50.0")
    o50 = res.time_us(cb + "bareOrtRun", percentile="50.0")
    p50 = res.time_us(cb + "peerEmbed", percentile="50.0")
    batch = res.time_us(cb + "guardCheckAll32")
    singles = res.time_us(cb + "guardSingles32")
    if any(v is not None for v in [g50, o50, p50, batch, singles]):
        w("## Single checks and batches: embedded default model")
        w("")
        w("One prompt of about 30 words (%s). `guardCheck` = `Guard.checkPrompt` with the cache off "
          "(tokenize, run, heads, policy); `bareOrtRun` = `OrtSession.run` alone on the same model with "
          "tensors built once beforehand; `peerEmbed` = LangChain4j "
          "`AllMiniLmL6V2QuantizedEmbeddingModel.embed(text)` (same base encoder, int8; it only embeds, it "
          "does not classify)." % "≤ 64 tokens")
        w("")
        w("| Comparison | ratio | ours | other |")
        w("|---|---|---|---|")
        w("| ours vs bare ORT (p50, lower is better for ours) | %s | %s | %s |" % (
            fmt_ratio(ratio(g50, o50)), fmt_us(g50), fmt_us(o50)))
        w("| peer vs ours (p50; > 1 means ours is faster) | %s | %s | %s |" % (
            fmt_ratio(ratio(p50, g50)), fmt_us(g50), fmt_us(p50)))
        w("| batch of 32 vs 32 singles (throughput, > 1 means batching wins) | %s | %s per prompt | %s "
          "per prompt |" % (fmt_ratio(ratio(singles, batch)), fmt_us(batch), fmt_us(singles)))
        w("")
        rows = []
        for m in ["guardCheck", "bareOrtRun", "peerEmbed"]:
            r = res.find(cb + m)
            if r is None:
                continue
            pc = r["primaryMetric"].get("scorePercentiles", {})
            u = r["primaryMetric"]["scoreUnit"]
            rows.append("| %s | %s | %s | %s | %s |" % (
                m, fmt_us(to_us(r["primaryMetric"]["score"], u)),
                fmt_us(to_us(pc["50.0"], u)) if "50.0" in pc else "n/a",
                fmt_us(to_us(pc["99.0"], u)) if "99.0" in pc else "n/a",
                "n/a" if res.secondary(cb + m, "gc.alloc.rate.norm") is None
                else "%.0f B" % res.secondary(cb + m, "gc.alloc.rate.norm")))
        if rows:
            w("| Single check (machine-specific) | mean | p50 | p99 | allocation per call |")
            w("|---|---|---|---|---|")
            out.extend(rows)
            w("")

    load_rows, load_targets = load_probe_table(load_path) if load_path and os.path.exists(load_path) else ([], [])
    out.extend(load_rows)

    # ---------------------------------------------------------------- targets
    w("## Targets from issues 5 and 6")
    w("")
    w("| Target | status | measured |")
    w("|---|---|---|")

    def stream(b, s, n):
        return res.time_us(methods[s], backend=b, responseTokens=n)

    inc1024 = stream("DECODER", "INCREMENTAL", 1024)
    r_naive = ratio(stream("DECODER", "NAIVE", 1024), inc1024)
    w("| Incremental decoder >= 50x less work per token than naive at 1,024 tokens | %s | %s |" % verdict(
        None if r_naive is None else r_naive >= 50,
        "n/a" if r_naive is None else "%s (%s)" % (fmt_ratio(r_naive),
                                                    "target met" if r_naive >= 50 else
                                                    "short by %.1fx" % (50 / r_naive))))
    r_e32 = ratio(stream("DECODER", "EVERY_32", 1024), inc1024)
    w("| Incremental decoder >= 5x less than every-32 at 1,024 tokens | %s | %s |" % verdict(
        None if r_e32 is None else r_e32 >= 5,
        "n/a" if r_e32 is None else "%s (%s)" % (fmt_ratio(r_e32),
                                                  "target met" if r_e32 >= 5 else
                                                  "short by %.1fx" % (5 / r_e32))))
    r_e32same = ratio(stream("DECODER", "EVERY_32", 1024), stream("DECODER", "INCREMENTAL_32", 1024))
    w("| Same, at the same cadence (every-32 / incremental@32) at 1,024 tokens | %s | %s |" % verdict(
        None if r_e32same is None else r_e32same >= 5,
        "n/a" if r_e32same is None else fmt_ratio(r_e32same)))
    lo = min(lengths) if lengths else 64
    hi = max(lengths) if lengths else 2048
    growth = ratio(stream("DECODER", "INCREMENTAL", hi), stream("DECODER", "INCREMENTAL", lo))
    w("| Incremental decoder per-token cost grows < 2x from %d to %d tokens | %s | %s |" % ((lo, hi) + verdict(
        None if growth is None or (lo, hi) != (64, 2048) else growth < 2,
        "n/a" if growth is None else "%s%s" % (fmt_ratio(growth),
                                               "" if (lo, hi) == (64, 2048) else
                                               " (run did not cover 64 and 2048)"))))
    amort = [stream("DEFAULT", "INCREMENTAL", n) for n in lengths]
    amort = [a for a in amort if a is not None]
    whole = res.time_us(sr, backend="DEFAULT")
    worst = max(amort + ([whole] if whole is not None else [])) if (amort or whole is not None) else None
    w("| Embedded default amortized <= 1 ms per token at default cadence | %s | %s |" % verdict(
        None if worst is None else worst <= 1000,
        "n/a" if worst is None else "worst %s per token (over lengths %s%s)" % (
            fmt_us(worst), ",".join(str(n) for n in lengths),
            " and the whole-response run" if whole is not None else "")))
    allocs = [("%s whole response (gc.alloc.rate.norm)" % b, res.secondary(sr, "gc.alloc.rate.norm", backend=b))
              for b in rb]
    for b in backends:
        worst_heap = [res.aux_mean(methods["INCREMENTAL"], "heapBytesPerToken", backend=b, responseTokens=n)
                      for n in lengths]
        worst_heap = [h for h in worst_heap if h is not None]
        if worst_heap:
            allocs.append(("%s incremental, worst over L" % b, max(worst_heap)))
    allocs = [(b, a) for b, a in allocs if a is not None]
    w("| Allocation < 4 KB per streamed token (Java heap) | %s | %s |" % verdict(
        None if not allocs else all(a < 4096 for _, a in allocs),
        "n/a" if not allocs else "; ".join("%s: %s" % (b, fmt_bytes(a)) for b, a in allocs)))
    w("| Single check p50 <= 10 ms | %s | %s |" % verdict(
        None if g50 is None else g50 <= 10000, fmt_us(g50)))
    r_ort = ratio(g50, o50)
    w("| Single check within 1.3x of bare ORT | %s | %s |" % verdict(
        None if r_ort is None else r_ort <= 1.3,
        "n/a" if r_ort is None else "%s of bare ORT%s" % (
            fmt_ratio(r_ort), "" if r_ort <= 1.3 else " (over by %.0f%%)" % ((r_ort / 1.3 - 1) * 100))))
    r_batch = ratio(singles, batch)
    w("| Batch of 32 >= throughput of 32 singles | %s | %s |" % verdict(
        None if r_batch is None else r_batch >= 1.0,
        "n/a" if r_batch is None else "batch throughput %s of singles" % fmt_ratio(r_batch)))
    out.extend(load_targets)
    w("")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json")
    ap.add_argument("out")
    ap.add_argument("--note", default="")
    ap.add_argument("--command", default="")
    ap.add_argument("--notes-file", default=None, help="markdown appended after the tables")
    ap.add_argument("--load", default=None, help="LoadProbe JSON lines (cold load and RSS)")
    a = ap.parse_args(argv)
    res = Results(load(a.json))
    text = build(res, a.note, a.command, a.load)
    if a.notes_file and os.path.exists(a.notes_file):
        with open(a.notes_file, encoding="utf-8") as f:
            text += "\n" + f.read()
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
