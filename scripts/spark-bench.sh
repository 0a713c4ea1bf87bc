#!/usr/bin/env bash
# Throughput of the Parapet Spark job (guard-spark's ModerationJob) on local[2] vs the same rows through in-process
# Guard.checkAll on one JVM, as a ratio from one run, plus the cost of Guard creation per executor.
#
#   scripts/spark-bench.sh [DATA_DIR (../shared/data)] [ROWS (20000)]
#
# Rows: 60 % davidson-hate-speech tweets, 40 % cooking-stackexchange-titles, in file order (see
# SparkThroughputBench). Skips cleanly (exit 0) when DATA_DIR lacks them. Prints the results; record them by hand in
# guard-benchmarks/RESULTS.md. A 20k-row run takes several minutes on 2 cores.
# Environment: JAVA (default: java on PATH), MVN (default: mvn -o).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-$ROOT/../shared/data}"
ROWS="${2:-20000}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn -o}"
if [ ! -d "$DATA" ]; then
  echo "spark-bench: skipped, no data folder at $DATA (pass the shared data folder as the first argument)"
  exit 0
fi
cd "$ROOT"
$MVN -B -q -pl guard-spark -am process-test-classes
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
CP="$ROOT/guard-spark/target/test-classes:$ROOT/guard-spark/target/classes:$(cat guard-spark/target/spark-test-classpath.txt)"
# the same JVM flags as the module's tests (Spark on Java 17 needs the opens)
OPTS="$(sed -n 's:.*<spark.test.jvm>\(.*\)</spark.test.jvm>.*:\1:p' guard-spark/pom.xml)"
OUT="$ROOT/guard-spark/target/spark-bench"
mkdir -p "$OUT"
# shellcheck disable=SC2086
# -Xss16m: on this machine loading the default model on the launcher's main thread (1 MB stack) died with SIGSEGV
# and no hs_err file; Surefire's forked JVM and Spark's task threads load it fine
exec "$JAVA" $OPTS -Xss16m -Dai.djl.offline=true -cp "$CP" dev.parapet.guard.spark.SparkThroughputBench "$DATA" "$ROWS" "$OUT"
