#!/usr/bin/env bash
# Real fuzzing with Jazzer: runs every @FuzzTest target in turn (60 s each, the maxDuration on the annotation)
# until MINUTES are used up. `mvn verify` only replays the checked-in seeds (regression mode); this script mutates.
# Findings (crashes, failed invariants) are written by Jazzer into the target's seed folder
# (src/test/resources/.../<Class>Inputs/<method>/crash-*), so once fixed they stay as regression seeds: fix the
# bug, keep the file (rename it to say what it is). The growing working corpus is kept in .cifuzz-corpus/ (ignored).
#
# usage: scripts/fuzz.sh MINUTES [Class#method ...]      e.g. scripts/fuzz.sh 10 TextNormalizerFuzzTest#clean
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/fuzz.sh MINUTES [Class#method ...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  # module:Class#method for every @FuzzTest in the tree
  while IFS= read -r f; do
    module=${f%%/src/*}
    cls=$(basename "$f" .java)
    for m in $(grep -A1 '@FuzzTest' "$f" | grep -oE 'void [a-zA-Z0-9_]+' | awk '{print $2}'); do
      targets+=("$module:$cls#$m")
    done
  done < <(grep -rl --include='*FuzzTest.java' '@FuzzTest' --exclude-dir=target . | sed 's|^\./||' | sort)
fi
end=$(( $(date +%s) + minutes * 60 ))
echo "fuzzing ${#targets[@]} targets for $minutes min: ${targets[*]}"
while [ "$(date +%s)" -lt "$end" ]; do
  for t in "${targets[@]}"; do
    [ "$(date +%s)" -lt "$end" ] || break
    module=${t%%:*}; test=${t#*:}
    [ "$module" != "$t" ] || module=$(grep -rl --include="${test%%#*}.java" '@FuzzTest' --exclude-dir=target . \
        | head -1 | sed 's|^\./||; s|/src/.*||')
    echo "== $module $test"
    JAZZER_FUZZ=1 mvn -B -o -q -pl "$module" -am test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
        -Djacoco.skip=true || echo "!! $test found something: see the crash-* file in its Inputs folder"
  done
done
git status --short -- '*Inputs/*' || true
