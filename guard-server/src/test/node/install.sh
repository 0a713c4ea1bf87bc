#!/usr/bin/env bash
# Installs the official `openai` npm package into guard-server/target/openai-node, for OpenAiNodeClientTest.
# Run it before `mvn verify` (CI: .ci/run); the test itself never touches the network and skips, saying so,
# when the package is not installed. Pinned so a new client release cannot change the test silently.
set -euo pipefail
VERSION="${OPENAI_NODE_VERSION:-7.60.0}"
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/../../../target/openai-node"
command -v npm >/dev/null || { echo "install.sh: npm is not installed; OpenAiNodeClientTest will be skipped" >&2; exit 0; }
mkdir -p "$dest"
cd "$dest"
[ -f package.json ] || echo '{"name":"parapet-openai-node-test","private":true,"type":"module"}' > package.json
npm install --no-audit --no-fund --silent "openai@$VERSION"
echo "install.sh: openai@$VERSION installed in $(pwd)/node_modules"
