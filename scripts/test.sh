#!/usr/bin/env bash
# The whole test suite (what .ci/run calls): setup, build dist/tsrun, then unit, integration
# and conformance tests against the built binary on this host, then the guest tier (a
# Debian 12 guest with systemd on pure cgroup v2 under QEMU: scripts/v2host/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npx vitest run
bash scripts/v2host/test.sh
