#!/usr/bin/env bash
# Issue 18 soak: 8 threads of every check kind (plus streams) on the embedded model for SECONDS (default 600),
# then CYCLES Guard build/close cycles with and without MALLOC_ARENA_MAX=2 (default 200). Prints one summary per
# phase (throughput, p50/p99, errors, RSS at 60 s vs end, heap after GC; RSS growth per cycle).
# usage: scripts/soak.sh [SECONDS] [CYCLES]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-600}"; CYCLES="${2:-200}"
mvn -B -q -o -pl guard-benchmarks -am package -DskipTests
mvn -B -q -o -pl guard-benchmarks dependency:build-classpath -Dmdep.outputFile=soak-classpath.txt >/dev/null
CP="guard-benchmarks/target/classes:guard-onnx/target/classes:guard-core/target/classes:guard-default-model/target/classes"
CP="$CP:$(tr ':' '\n' < guard-benchmarks/soak-classpath.txt | grep -vE '/dev/parapet/' | paste -sd:)"
# -Xss4m: with the launcher's default main-thread stack the default model's native load crashed here (SIGSEGV, rc 139)
JAVA=(java -Xss4m -Xmx1g -Dai.djl.offline=true -Dslf4j.internal.verbosity=ERROR -cp "$CP" dev.parapet.guard.bench.SoakRun)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
"${JAVA[@]}" soak "$SECS" 8
"${JAVA[@]}" cycles "$CYCLES"
MALLOC_ARENA_MAX=2 "${JAVA[@]}" cycles "$CYCLES"
