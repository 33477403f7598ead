#!/usr/bin/env bash
# Set up, build dist/tsrun and run a demo busybox container in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
bundle=$(mktemp -d /tmp/tsrun-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
node scripts/mkbundle.mjs "$bundle" -- sh -c 'echo "hello from $(hostname): pid $$, $(id)"; mount | grep " / "' >/dev/null
echo "+ dist/tsrun run -b $bundle demo-$$"
dist/tsrun run -b "$bundle" "demo-$$"
