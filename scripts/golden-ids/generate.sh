#!/usr/bin/env bash
# Regenerates guard-onnx's golden/token-ids.json (reference token ids of the guard prompts); see generate.mjs.
# Needs node + npm and the tokenizers from scripts/fetch-tokenizers.sh. Run it only when a golden prompt changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-tokenizers.sh target/tokenizers
work=target/golden-ids-node
mkdir -p "$work"
cp scripts/golden-ids/package.json scripts/golden-ids/generate.mjs "$work"/
(cd "$work" && npm install --silent --no-audit --no-fund)
node "$work"/generate.mjs "$PWD/target/tokenizers" \
  "$PWD/guard-onnx/src/test/resources/dev/parapet/guard/onnx/decoder/golden"
