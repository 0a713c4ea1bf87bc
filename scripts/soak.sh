#!/usr/bin/env bash
# Issue 18 soak and memory runs on the embedded model (SoakRun in guard-benchmarks; a script, not a unit test).
#   scripts/soak.sh soak SECONDS [ARENA]   8 threads of every check kind plus streams: throughput, p50/p99, errors,
#                                          RSS at 60 s vs end, Java heap after GC
#   scripts/soak.sh cycles N [ARENA]       N Guard build/close cycles: RSS every 20, growth per cycle (last 100)
#   scripts/soak.sh burst ROUNDS           8 threads check the same new text at once, ROUNDS times: classifier
#                                          calls per round and rounds/s, with single-flight (cache on) and without
#                                          (cache off: every caller classifies), one JVM each
#   scripts/soak.sh arena SECONDS CYCLES   the four allocator settings (default, CPU arena off, MALLOC_ARENA_MAX=2,
#                                          both), each a soak of SECONDS and CYCLES cycles, one JVM per run
#   scripts/soak.sh                        soak 600, then cycles 200 (the issue's runs, default settings)
# ARENA: arena=default (the library default), arena=on or arena=off (ONNX Runtime's CPU memory arena).
# Set MALLOC_ARENA_MAX in the environment to cap glibc's malloc arenas.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-all}"
# one reactor run: on a clean clone the sibling modules are not in ~/.m2, so the classpath must come from the reactor
mvn -B -q -o -pl guard-benchmarks -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/soak-classpath.txt >/dev/null
CP="guard-benchmarks/target/classes:guard-onnx/target/classes:guard-core/target/classes:guard-default-model/target/classes"
CP="$CP:$(tr ':' '\n' < guard-benchmarks/target/soak-classpath.txt | grep -vE '/dev/parapet/' | paste -sd:)"
# -Xss4m: with the launcher's default main-thread stack the default model's native load crashed here (SIGSEGV, rc 139)
# -Xms = -Xmx with AlwaysPreTouch: the heap is resident from the start, so RSS drift is native memory
JAVA=(java -Xss4m -Xms768m -Xmx768m -XX:+AlwaysPreTouch -Dai.djl.offline=true -Dslf4j.internal.verbosity=ERROR -cp "$CP" dev.parapet.guard.bench.SoakRun)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
case "$MODE" in
  soak) "${JAVA[@]}" soak "${2:-600}" 8 "${3:-arena=default}" ;;
  cycles) "${JAVA[@]}" cycles "${2:-200}" "${3:-arena=default}" ;;
  burst) "${JAVA[@]}" burst "${2:-200}" 8 single-flight=on; "${JAVA[@]}" burst "${2:-200}" 8 single-flight=off ;;
  arena)
    SECS="${2:-120}"; CYCLES="${3:-200}"
    for setting in "arena=on -" "arena=off -" "arena=on 2" "arena=off 2"; do
      set -- $setting
      if [ "$2" = "-" ]; then ENVV=(env -u MALLOC_ARENA_MAX); else ENVV=(env MALLOC_ARENA_MAX="$2"); fi
      "${ENVV[@]}" "${JAVA[@]}" cycles "$CYCLES" "$1"
      "${ENVV[@]}" "${JAVA[@]}" soak "$SECS" 8 "$1"
    done ;;
  all) "${JAVA[@]}" soak 600 8; "${JAVA[@]}" cycles 200 ;;
  *) echo "usage: scripts/soak.sh [soak SECONDS [ARENA] | cycles N [ARENA] | burst ROUNDS | arena SECONDS CYCLES]" >&2
     exit 2 ;;
esac
