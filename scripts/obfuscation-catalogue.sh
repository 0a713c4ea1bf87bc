#!/usr/bin/env bash
# The obfuscation catalogue of issue 18: recall and false-positive rate per obfuscating transform, with the
# text views off and on, on the embedded default model (see ObfuscationCatalogue for the data and transforms).
#
#   scripts/obfuscation-catalogue.sh [DATA_DIR] [N]
#
# DATA_DIR: the shared data folder (default ../shared/data next to the repository); skips when absent.
# N: prompts per side and transform (default 300; 9 transforms x 2 x N checks, twice: a few minutes on 2 cores).
# Builds guard-benchmarks/target/benchmarks.jar when missing (PARAPET_BUILD=1 forces it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-$ROOT/../shared/data}"
N="${2:-300}"
JAR="$ROOT/guard-benchmarks/target/benchmarks.jar"
if [ ! -d "$DATA" ]; then
  echo "SKIPPED: no data folder at $DATA (pass the shared data folder as the first argument)" >&2
  exit 0
fi
if [ ! -f "$JAR" ] || [ "${PARAPET_BUILD:-0}" = 1 ]; then
  (cd "$ROOT" && mvn -B -q -pl guard-benchmarks -am package -DskipTests)
fi
exec "${JAVA:-java}" -Dai.djl.offline=true -Xmx4g -cp "$JAR" dev.parapet.guard.bench.ObfuscationCatalogue "$DATA" "$N"
