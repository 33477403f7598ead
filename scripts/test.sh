#!/usr/bin/env bash
# The whole test suite (what .ci/run calls): setup, build dist/tsrun, then unit, integration
# and conformance tests against the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npx vitest run
