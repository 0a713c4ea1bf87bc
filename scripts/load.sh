#!/usr/bin/env bash
# Load and fault test of `parapet serve` on 127.0.0.1 (bounded: about 2 * SECONDS + 2 minutes). Phases:
#   1. in-process Guard.checkAll throughput with the embedded default model (the baseline);
#   2. CLIENTS clients for SECONDS against `serve` with a queue that holds them all (below saturation: no errors),
#      run twice: with glibc's default malloc arenas, and with MALLOC_ARENA_MAX=2 in the server's environment;
#   3. CLIENTS clients for 20 s against `serve --queue 4` (above saturation: 429s, not timeouts or crashes);
#   4. fault: `serve --remote` against the fake vLLM server (a separate process); 30 s of clients; the fake is
#      killed at 10 s and started again on the same port at 20 s; outcomes per 5 s slice (served, failClosed, ...).
# During each served phase a background sampler reads the server's VmRSS every 5 s; the series and the growth
# from the 1-minute sample (or the middle one in a shorter phase) to the last are printed. The server's heap is pinned
# (-Xms = -Xmx, pre-touched), so RSS growth is native memory; JVM Native Memory Tracking is on, and each main phase
# prints what the JVM itself committed more at its end than at its start (NMT diff) and the RSS outside the JVM's
# own accounting (ONNX Runtime's and glibc's malloc): that says where growth is.
# Usage: scripts/load.sh [SECONDS] [CLIENTS]; PHASES="inprocess main saturated fault" (the default) picks phases.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_MAIN="${1:-60}"
CLIENTS="${2:-32}"
PHASES="${PHASES:-inprocess main saturated fault}"
on() { [[ " $PHASES " == *" $1 "* ]]; }
# The reactor (-am) builds what guard-cli needs from this tree, test jars included (never `mvn install`).
[[ -n ${SKIP_BUILD:-} ]] || mvn -B -q -o -pl guard-cli -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/load-classpath.txt >/dev/null
# JUnit's jars stay off the classpath (not needed). guard-server's test classes hold LoadTest; guard-cli's the
# fixture writer; guard-remote's test jar (on guard-cli's test classpath) the fake vLLM server.
CP="guard-server/target/test-classes:guard-cli/target/test-classes:guard-cli/target/classes:$(tr ':' '\n' \
  < guard-cli/target/load-classpath.txt | grep -vE 'junit|opentest4j|apiguardian' | paste -sd:)"
JAVA_OPTS=(-Xmx1g -Dai.djl.offline=true -Dslf4j.internal.verbosity=ERROR)
SERVER_OPTS=(-Xms768m -Xmx768m -XX:+AlwaysPreTouch -XX:NativeMemoryTracking=summary -Dai.djl.offline=true
  -Dslf4j.internal.verbosity=ERROR)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

serve() { # serve [ENV=VALUE ...] -- FLAGS...; sets PID and URL
  local envs=() out="$WORK/serve.$RANDOM"
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
  env "${envs[@]}" java "${SERVER_OPTS[@]}" -jar guard-cli/target/parapet.jar serve --port 0 --cache-size 0 "$@" \
    >"$out" 2>/dev/null &
  PID=$!; PIDS+=("$PID")
  for _ in $(seq 1 240); do grep -q listening "$out" && break; kill -0 "$PID" || { echo "serve died"; exit 1; }; sleep 0.25; done
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out")"
}

stop() { kill -TERM "$PID"; wait "$PID" || true; }

sample_start() { # VmRSS of $PID every 5 s into $WORK/rss until sample_stop
  : >"$WORK/rss"
  ( t=0; while kill -0 "$PID" 2>/dev/null; do echo "$t $(rss_kb "$PID")" >>"$WORK/rss"; sleep 5; t=$((t + 5)); done ) &
  SAMPLER=$!
}

sample_stop() { # prints the series in MB and the growth
  kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true
  awk -v label="$1" '
    { t[NR] = $1; kb[NR] = $2 }
    END {
      line = "RSS " label " (MB, every 5 s):"
      for (i = 1; i <= NR; i++) line = line sprintf(" %d", kb[i] / 1024)
      print line
      ref = 0; last = t[NR]; want = (last >= 60) ? 60 : int(last / 10) * 5
      for (i = 1; i <= NR; i++) if (t[i] <= want) ref = i
      if (ref > 0 && kb[ref] > 0)
        printf "RSS %s at %d s vs end (%d s): %d -> %d MB, %+.1f%%\n", label, t[ref], last, kb[ref] / 1024,
          kb[NR] / 1024, 100 * (kb[NR] - kb[ref]) / kb[ref]
    }' "$WORK/rss"
}

nmt_baseline() { jcmd "$PID" VM.native_memory baseline >/dev/null 2>&1 || echo "(NMT baseline failed)"; }

nmt_report() { # the JVM's committed memory now vs the baseline, the categories that grew, and RSS outside it
  jcmd "$PID" VM.native_memory summary.diff 2>/dev/null | awk -v rss_kb="$(rss_kb "$PID")" '
    /^Total:/ { if (match($0, /committed=[0-9]+KB [+-][0-9]+KB/)) { split(substr($0, RSTART, RLENGTH), a, /[= ]/);
      total = a[2] + 0; printf "NMT total committed %d MB (%s since the phase began)\n", total / 1024, a[3] } }
    /^-/ { name = $2; for (i = 3; i <= NF && $i !~ /^\(/; i++) name = name " " $i
      if (match($0, /committed=[0-9]+KB [+][0-9]+KB/)) { split(substr($0, RSTART, RLENGTH), a, /[= ]/)
        d = a[3]; gsub(/[+KB]/, "", d); if (d + 0 >= 1024) printf "  NMT %s: +%d MB\n", name, d / 1024 } }
    END { if (total > 0) printf "RSS outside the JVM'"'"'s own accounting: %d MB (RSS %d MB - NMT committed)\n",
      (rss_kb - total) / 1024, rss_kb / 1024 }'
}

load() { java "${JAVA_OPTS[@]}" -cp "$CP" dev.parapet.guard.server.LoadTest http "$@"; }

echo "== machine: $(nproc) cores, $(date -u +%FT%TZ); shared with other jobs: numbers are noisy"
on inprocess && java "${JAVA_OPTS[@]}" -cp "$CP" dev.parapet.guard.server.LoadTest inprocess 20 32

on main && for arenas in default 2; do
  if [[ $arenas == default ]]; then serve -- --workers 2 --queue 256; else serve MALLOC_ARENA_MAX=2 -- --workers 2 --queue 256; fi
  echo "== main phase, MALLOC_ARENA_MAX=$arenas: $CLIENTS clients, ${SECONDS_MAIN} s"
  nmt_baseline
  sample_start
  load "$URL" "$SECONDS_MAIN" "$CLIENTS"
  sample_stop "arenas=$arenas"
  nmt_report
  curl -s "$URL/readyz"; echo
  stop
done

if on saturated; then
serve MALLOC_ARENA_MAX=2 -- --workers 2 --queue 4
echo "== saturated: $CLIENTS clients, 20 s, --queue 4"
sample_start
load "$URL" 20 "$CLIENTS"
sample_stop "saturated"
curl -s "$URL/healthz"; echo
stop
fi

on fault || exit 0
echo "== fault: serve --remote against the fake vLLM; fake killed at 10 s, restarted on the same port at 20 s"
java -cp "$CP" dev.parapet.guard.cli.WriteFixtureModel "$WORK/lg3" >/dev/null
fake() { # fake PORT; sets FAKE
  java -Xmx256m -cp "$CP" dev.parapet.guard.remote.testing.FakeVllmServer "$1" >"$WORK/fake.out" 2>&1 &
  FAKE=$!; PIDS+=("$FAKE")
  for _ in $(seq 1 120); do grep -q listening "$WORK/fake.out" && break; kill -0 "$FAKE" || { echo "fake died"; exit 1; }; sleep 0.25; done
}
fake 0
FAKE_PORT="$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/fake.out" | cut -d: -f2)"
serve MALLOC_ARENA_MAX=2 -- --workers 8 --queue 256 --remote "http://127.0.0.1:$FAKE_PORT" --remote-model m \
  --model "$WORK/lg3" --remote-breaker-open 2s
sample_start
T0=$(date +%s%N)
since() { echo "$(( ($(date +%s%N) - T0) / 1000000 )) ms"; }
load "$URL" 30 "$CLIENTS" 5 &
LOAD=$!
sleep 10; kill -KILL "$FAKE"; wait "$FAKE" 2>/dev/null || true
echo "(fake killed at $(since) after the load generator was started; its clock starts after its JVM's startup)"
sleep 10; fake "$FAKE_PORT"; echo "(fake restarted on port $FAKE_PORT, listening at $(since))"
wait "$LOAD"
sample_stop "fault"
echo "healthz after the fault: $(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")"
stop
