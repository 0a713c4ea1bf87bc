#!/usr/bin/env bash
# Load test of `parapet serve` on 127.0.0.1 (bounded: about 2.5 minutes). Prints one line per phase:
#   1. in-process Guard.checkAll throughput with the embedded default model (the baseline);
#   2. 32 clients for 60 s against `serve` with a queue that holds them all (below saturation: no errors);
#   3. 32 clients for 20 s against `serve --queue 4` (above saturation: 429s, not timeouts or crashes);
# and the server's RSS before and after each served phase. Usage: scripts/load.sh [SECONDS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_MAIN="${1:-60}"
CLIENTS="${2:-32}"
mvn -B -q -pl guard-server,guard-cli package -DskipTests
mvn -B -q -pl guard-server test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/load-classpath.txt >/dev/null
# JUnit's jars stay off the classpath (not needed; see ServeCommandTest for why).
CP="guard-server/target/test-classes:guard-server/target/classes:$(tr ':' '\n' < guard-server/target/load-classpath.txt \
  | grep -vE 'junit|opentest4j|apiguardian' | paste -sd:)"
JAVA_OPTS=(-Xmx1g -Dai.djl.offline=true -Dslf4j.internal.verbosity=ERROR)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true

rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }

serve() { # starts serve with extra flags; sets PID and URL
  local out; out="$(mktemp)"
  java "${JAVA_OPTS[@]}" -jar guard-cli/target/parapet.jar serve --port 0 --cache-size 0 "$@" >"$out" 2>/dev/null &
  PID=$!
  for _ in $(seq 1 240); do grep -q listening "$out" && break; kill -0 "$PID" || { echo "serve died"; exit 1; }; sleep 0.25; done
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out")"
}

stop() { kill -TERM "$PID"; wait "$PID" || true; }

echo "== machine: $(nproc) cores, $(date -u +%FT%TZ); shared with other jobs: numbers are noisy"
java "${JAVA_OPTS[@]}" -cp "$CP" dev.parapet.guard.server.LoadTest inprocess 20 32

serve --workers 2 --queue 256
echo "RSS before: $(rss "$PID")"
java "${JAVA_OPTS[@]}" -cp "$CP" dev.parapet.guard.server.LoadTest http "$URL" "$SECONDS_MAIN" "$CLIENTS"
echo "RSS after:  $(rss "$PID")"
curl -s "$URL/readyz"; echo
stop

serve --workers 2 --queue 4
echo "RSS before (saturated): $(rss "$PID")"
java "${JAVA_OPTS[@]}" -cp "$CP" dev.parapet.guard.server.LoadTest http "$URL" 20 "$CLIENTS"
echo "RSS after (saturated):  $(rss "$PID")"
curl -s "$URL/healthz"; echo
stop
