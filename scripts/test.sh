#!/usr/bin/env bash
# The whole test suite (what .ci/run calls): setup, build dist/tsrun, then unit, integration
# and conformance tests against the built binary on this host, then the guest tier: a Debian
# 12 guest with systemd on pure cgroup v2 under QEMU (scripts/v2host/test.sh: image ~2 min
# to build from scratch here; the tier ran 6 min in all on a quiet 2-core machine, exit 0,
# 96 tests). It skips with a printed reason where the host cannot run a guest at all;
# TSRUN_GUEST_TIER=0 leaves it out by choice.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npx vitest run
if [ "${TSRUN_GUEST_TIER:-1}" = 0 ]; then
  echo "test.sh: guest tier (pure cgroup v2 + systemd under QEMU) skipped: TSRUN_GUEST_TIER=0"
else
  bash scripts/v2host/test.sh
fi
