#!/usr/bin/env bash
# The whole test suite (what .ci/run calls): setup, build dist/tsrun, then unit, integration
# and conformance tests against the built binary on this host. The guest tier (a Debian 12
# guest with systemd on pure cgroup v2 under QEMU: scripts/v2host/test.sh; image ~2 min to
# build here, its tests 10-15 min on a loaded 2-core machine without checkpoint-criu) runs
# only with TSRUN_GUEST_TIER=1: no run of the whole tier with checkpoint-criu has finished
# yet, so CI leaves it out until one does (issue 11).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npx vitest run
if [ "${TSRUN_GUEST_TIER:-0}" != 1 ]; then
  echo "test.sh: guest tier (pure cgroup v2 + systemd under QEMU) not run: set TSRUN_GUEST_TIER=1 (it has not yet completed a whole run with checkpoint-criu inside a bounded time, so CI leaves it out; issue 11)"
else
  bash scripts/v2host/test.sh
fi
