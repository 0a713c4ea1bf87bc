#!/usr/bin/env bash
# Runs Parapet's JMH suite with settings that fit a small (2-core) machine and writes
# guard-benchmarks/RESULTS.md: ratios from this one run plus machine-specific absolute numbers.
#
#   scripts/bench.sh            full suite (about 20-25 minutes on 2 cores)
#   scripts/bench.sh --quick    fewer lengths and iterations (a few minutes)
#
# Options:
#   --quick             short mode
#   --out DIR           where the JMH JSON files go (default guard-benchmarks/target/bench-results)
#   --build             rebuild guard-benchmarks/target/benchmarks.jar even if it exists
#   --no-table          do not rewrite guard-benchmarks/RESULTS.md
#   --note TEXT         a line to put at the top of RESULTS.md (for example what else the machine ran)
#   --only NAME         run only the parts whose name matches (streaming|response|classify|load)
#   --real-shapes       instead of the suite: size-faithful random-weight decoders (see --shapes), written once
#                       into guard-benchmarks/target/decoder-models (keyed by shape, seed and fixture format;
#                       never committed), read as Llama Guard 3 with the real Llama 3.1 tokenizer when
#                       scripts/fetch-tokenizers.sh has run: incremental vs whole-text re-checks at L (see
#                       --lengths) and a full-policy prompt check with/without the prefix cache, one shape at a
#                       time. Writes guard-benchmarks/RESULTS-real-shapes.md (kept as a section of RESULTS.md)
#                       from every real-*.json in --out, so shapes run by separate calls end up in one table.
#                       Long: about 10-30 minutes per shape on 2 cores (--quick: fewer iterations).
#   --shapes "A B"      presets for --real-shapes (default: llama-3.2-1b-int4 qwen3-0.6b-int4 gemma-2-2b-int4
#                       qwen3-0.6b-fp32 llama-3.2-1b-fp32; gemma-2-2b-fp32, 10.5 GB of weights, only on request)
#   --lengths LIST      response lengths L for --real-shapes (default 256,1024,2048)
#   --no-prompt         --real-shapes without the prompt-check part
# Environment:
#   PARAPET_BENCH_THREADS  ONNX Runtime intra-op threads (default 2)
#   JAVA                   java binary (default: java on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/guard-benchmarks/target/benchmarks.jar"
OUT="$ROOT/guard-benchmarks/target/bench-results"
MODE=full
BUILD=0
TABLE=1
NOTE=""
ONLY="streaming|response|classify|load"
JAVA="${JAVA:-java}"
THREADS="${PARAPET_BENCH_THREADS:-2}"
REAL=0
SHAPES="llama-3.2-1b-int4 qwen3-0.6b-int4 gemma-2-2b-int4 qwen3-0.6b-fp32 llama-3.2-1b-fp32"
LENGTHS=256,1024,2048
PROMPT=1

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --out) OUT="$2"; shift ;;
    --build) BUILD=1 ;;
    --no-table) TABLE=0 ;;
    --note) NOTE="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --real-shapes) REAL=1 ;;
    --shapes) SHAPES="$2"; shift ;;
    --lengths) LENGTHS="$2"; shift ;;
    --no-prompt) PROMPT=0 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$BUILD" = 1 ] || [ ! -f "$JAR" ]; then
  echo "bench.sh: building $JAR" >&2
  (cd "$ROOT" && mvn -B -q -pl guard-benchmarks -am package -DskipTests)
fi
mkdir -p "$OUT"

# The models and tokenizers are local; keep DJL from phoning home. 2 intra-op threads, one benchmark
# thread, one fork: the machine has 2 cores.
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
JVM_ARGS="-Dai.djl.offline=true -Dparapet.bench.threads=$THREADS -Xms1g -Xmx6g"
COMMON=(-f 1 -t 1 -jvmArgsAppend "$JVM_ARGS" -prof gc)

# Streaming: single-shot iterations (each one rebuilds a response of L tokens, then times the next ones).
# Quick mode keeps the lengths the targets need (64, 1024, 2048) and times naive re-checking at 1024 only.
if [ "$MODE" = quick ]; then
  STREAM_REGEX='dev.parapet.guard.bench.StreamingTokenBenchmark.(every32|incremental)$'
  STREAM_ARGS=(-wi 1 -i 3 -p responseTokens=64,1024,2048)
  NAIVE_ARGS=(-wi 1 -i 2 -p responseTokens=1024)
  RESPONSE_ARGS=(-wi 1 -i 2 -w 2s -r 3s)
  CLASSIFY_ARGS=(-wi 1 -i 2 -w 2s -r 3s)
else
  STREAM_REGEX='dev.parapet.guard.bench.StreamingTokenBenchmark.(every32|incremental)$'
  STREAM_ARGS=(-wi 1 -i 5)
  NAIVE_ARGS=(-wi 1 -i 3)
  RESPONSE_ARGS=(-wi 2 -i 3 -w 3s -r 5s)
  CLASSIFY_ARGS=(-wi 2 -i 4 -w 3s -r 5s)
fi

run_jmh() { # name, regex, args...
  local name="$1" regex="$2"; shift 2
  echo "bench.sh: running $regex ($MODE)" >&2
  "$JAVA" -jar "$JAR" "$regex" "${COMMON[@]}" "$@" -rf json -rff "$OUT/$name.json" \
    2>&1 | tee "$OUT/$name.log"
}

# Size-faithful decoders: a separate part with its own section (RESULTS-real-shapes.md, appended to RESULTS.md).
if [ "$REAL" = 1 ]; then
  MODELS="$ROOT/guard-benchmarks/target/decoder-models"
  [ -x "$ROOT/scripts/fetch-tokenizers.sh" ] && "$ROOT/scripts/fetch-tokenizers.sh" "$ROOT/target/tokenizers" >&2
  REAL_JVM="$JVM_ARGS -Dparapet.bench.models=$MODELS -Dparapet.tokenizers.dir=$ROOT/target/tokenizers"
  if [ "$MODE" = quick ]; then
    # one single-shot iteration per cell: at real size each iteration's setup streams L tokens through the
    # session (L / 32 checks), minutes per cell on a loaded 2-core machine
    RS_ITER=(-wi 0 -i 1); RP_ITER=(-wi 1 -w 1s -i 1 -r 60s)
  else
    RS_ITER=(-wi 1 -i 3); RP_ITER=(-wi 1 -w 10s -i 2 -r 30s)
  fi
  for SHAPE in $SHAPES; do
    START=$(date +%s)
    echo "bench.sh: real shape $SHAPE ($MODE): writing/loading the model once" >&2
    # shellcheck disable=SC2086
    "$JAVA" $REAL_JVM -cp "$JAR" dev.parapet.guard.bench.DecoderModels "$SHAPE" 2>&1 | grep -v SLF4J \
      | tee "$OUT/real-write-$SHAPE.log" >&2
    # -to: JMH's iteration timeout includes the per-iteration setup, which streams L tokens (minutes per cell)
    RCOMMON=(-f 1 -t 1 -to 40m -jvmArgsAppend "$REAL_JVM" -prof gc -p "decoder=$SHAPE")
    echo "bench.sh: real shape $SHAPE ($MODE): streaming at L = $LENGTHS" >&2
    "$JAVA" -jar "$JAR" 'dev.parapet.guard.bench.StreamingTokenBenchmark.(every32|incremental)$' \
      "${RCOMMON[@]}" -p backend=DECODER -p "responseTokens=$LENGTHS" "${RS_ITER[@]}" \
      -rf json -rff "$OUT/real-streaming-$SHAPE.json" 2>&1 | tee "$OUT/real-streaming-$SHAPE.log"
    if [ "$PROMPT" = 1 ]; then
      echo "bench.sh: real shape $SHAPE ($MODE): full-policy prompt check, prefix cache on/off" >&2
      "$JAVA" -jar "$JAR" 'dev.parapet.guard.bench.RealShapeBenchmark' "${RCOMMON[@]}" "${RP_ITER[@]}" \
        -rf json -rff "$OUT/real-prompt-$SHAPE.json" 2>&1 | tee "$OUT/real-prompt-$SHAPE.log"
    fi
    echo "{\"shape\": \"$SHAPE\", \"mode\": \"$MODE\", \"seconds\": $(( $(date +%s) - START )), \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"finished\": \"$(date -u +%FT%TZ)\"}" \
      > "$OUT/real-run-$SHAPE.json"
  done
  python3 "$ROOT/scripts/real_shapes_table.py" "$OUT" "$ROOT/guard-benchmarks/RESULTS-real-shapes.md" \
    --note "$THREADS ONNX Runtime intra-op threads, 1 benchmark thread, 1 fork. $NOTE" \
    --command "scripts/bench.sh --real-shapes $([ "$MODE" = quick ] && echo --quick)" \
    --notes-file "$ROOT/guard-benchmarks/RESULTS-real-shapes-notes.md"
  python3 "$ROOT/scripts/real_shapes_table.py" --merge "$ROOT/guard-benchmarks/RESULTS-real-shapes.md" \
    "$ROOT/guard-benchmarks/RESULTS.md"
  echo "bench.sh: wrote guard-benchmarks/RESULTS-real-shapes.md and its section in RESULTS.md" >&2
  exit 0
fi

START=$(date +%s)
FILES=()
if [[ "streaming" =~ ^($ONLY)$ ]]; then
  run_jmh streaming "$STREAM_REGEX" "${STREAM_ARGS[@]}"
  run_jmh streaming-naive 'dev.parapet.guard.bench.StreamingTokenBenchmark.naive$' "${NAIVE_ARGS[@]}"
  FILES+=("$OUT/streaming.json" "$OUT/streaming-naive.json")
fi
if [[ "response" =~ ^($ONLY)$ ]]; then
  run_jmh response 'dev.parapet.guard.bench.StreamingResponseBenchmark' "${RESPONSE_ARGS[@]}"
  FILES+=("$OUT/response.json")
fi
if [[ "classify" =~ ^($ONLY)$ ]]; then
  run_jmh classify 'dev.parapet.guard.bench.ClassifyBenchmark' "${CLASSIFY_ARGS[@]}"
  FILES+=("$OUT/classify.json")
fi
if [[ "load" =~ ^($ONLY)$ ]]; then
  # Cold load and RSS need a fresh JVM each time (JMH forks are warm). The model jar goes first on the class
  # path so that the model is read as users get it (a stored entry), not from the shaded benchmark jar.
  MODEL_JAR=$(ls "$ROOT"/guard-default-model/target/guard-default-model-*.jar 2>/dev/null | grep -v sources | head -1 || true)
  RUNS=$([ "$MODE" = quick ] && echo 3 || echo 7)
  echo "bench.sh: LoadProbe x $RUNS (fresh JVMs)" >&2
  : > "$OUT/load.jsonl"
  for i in $(seq 1 "$RUNS"); do
    "$JAVA" -Dai.djl.offline=true -cp "${MODEL_JAR:+$MODEL_JAR:}$JAR" dev.parapet.guard.bench.LoadProbe "$THREADS" \
      2>/dev/null | grep '^{' >> "$OUT/load.jsonl"
  done
  cat "$OUT/load.jsonl" >&2
fi
ELAPSED=$(( $(date +%s) - START ))

python3 - "$OUT/all.json" "${FILES[@]}" <<'PY'
import json, os, sys
rows = []
for path in sys.argv[2:]:
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path, encoding="utf-8") as f:
            rows.extend(json.load(f))
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(rows, f, indent=1)
PY
echo "bench.sh: JMH JSON in $OUT/all.json (${ELAPSED}s)" >&2

if [ "$TABLE" = 1 ]; then
  HEADER="Mode: $MODE, ${ELAPSED} s of benchmarking, $THREADS ONNX Runtime intra-op threads, 1 benchmark thread, 1 fork."
  [ -n "$NOTE" ] && HEADER="$HEADER $NOTE"
  python3 "$ROOT/scripts/bench_table.py" "$OUT/all.json" "$ROOT/guard-benchmarks/RESULTS.md" \
    --note "$HEADER" --command "scripts/bench.sh $([ "$MODE" = quick ] && echo --quick)" \
    --notes-file "$ROOT/guard-benchmarks/RESULTS-notes.md" --load "$OUT/load.jsonl" > /dev/null
  # keep the size-faithful decoder's section (written by --real-shapes)
  if [ -f "$ROOT/guard-benchmarks/RESULTS-real-shapes.md" ]; then
    python3 "$ROOT/scripts/real_shapes_table.py" --merge "$ROOT/guard-benchmarks/RESULTS-real-shapes.md" \
      "$ROOT/guard-benchmarks/RESULTS.md"
  fi
  echo "bench.sh: wrote guard-benchmarks/RESULTS.md" >&2
fi
