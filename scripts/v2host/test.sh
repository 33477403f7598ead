#!/usr/bin/env bash
# The guest tier: boots the v2host guest (Debian 12, systemd, pure cgroup v2; see
# build.sh) once and runs test files inside it with vitest against the host's dist/tsrun.
#   bash scripts/v2host/test.sh                 # the default tier (GUEST_FILES below)
#   bash scripts/v2host/test.sh test/x.test.ts  # chosen files
# Node (this host's binary), dist/tsrun and the repository go in over 9p read-only; the
# guest copies the sources to its throw-away disk and links node_modules. Skips (exit 0,
# with the reason) only where this host cannot run the guest at all.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"

# Each area of issue 11 once, not the host suite again (every call is ~15x slower under TCG):
# cgroup2-host: every v2 resource file and unified key, controllers in the parents, clone3
#   birth and its fallback, device eBPF, exec, pause/resume via cgroup.freeze, pids and OOM
#   events, update (side by side with the guest's runc) and events --stats, cgroup ns;
# systemd-cgroup: the scope unit (limits in systemctl show, exec, update, delete, a taken name);
# rootless: a user with subordinate ids, its own systemd's delegated scope;
# conformance/: the lifecycle (create/start/state/kill/delete), hooks and /dev per the spec.
# (container.test.ts and cgroups.test.ts are the host suite's: namespaces and mounts do not
# depend on the host's cgroup layout, and cgroups.test.ts is v1/hybrid only. devices-bpf
# compiles a C probe and the guest has no compiler. lifecycle-cli.test.ts runs long chains of
# blocking spawnSync calls that missed vitest's 60 s RPC deadline under TCG.)
GUEST_FILES=(
  test/integration/cgroup2-host.test.ts
  test/integration/systemd-cgroup.test.ts
  test/integration/rootless.test.ts
  test/integration/checkpoint-criu.test.ts
  conformance/
)
[ $# -gt 0 ] && GUEST_FILES=("$@")

reason=
if [ "$(uname -m)" != x86_64 ]; then reason="the guest is x86_64 (host is $(uname -m))"
elif [ "$(id -u)" != 0 ]; then reason="building the guest image needs root"
elif ! command -v qemu-system-x86_64 >/dev/null; then reason="qemu-system-x86_64 is missing (scripts/setup.sh installs it)"
fi
if [ -n "$reason" ]; then
  echo "v2host guest tier skipped: $reason"
  exit 0
fi
[ -x dist/tsrun ] || { echo "v2host: dist/tsrun is missing: npm run build first" >&2; exit 1; }

t0=$(date +%s)
bash scripts/v2host/build.sh >/dev/null
echo "v2host: image ready after $(( $(date +%s) - t0 ))s"

mkdir -p build
RUN=$(mktemp -d "$REPO/build/v2host-run.XXXXXX")
RUNPID=
# run.sh kills QEMU on its way out; on an interrupt here, stop it first (it cleans up), then
# drop the run dir.
cleanup() {
  if [ -n "$RUNPID" ]; then kill -TERM "$RUNPID" 2>/dev/null || true; wait "$RUNPID" 2>/dev/null || true; fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$RUN/job" "$RUN/out"
cp "$(readlink -f "$(command -v node)")" "$RUN/job/node"
{
  echo 'set -e'
  echo 'export PATH=/mnt/job:$PATH CI=${CI:-} NO_COLOR=1 TSRUN_TEST_SLOW=${V2HOST_SLOW:-4}'
  # A writable copy of what vitest reads and writes; the big read-only parts stay on 9p.
  echo 'mkdir -p /work/repo/dist && cd /work/repo'
  echo 'cp /mnt/repo/package.json /mnt/repo/vitest.config.ts /mnt/repo/tsconfig.json .'
  echo 'cp -a /mnt/repo/src /mnt/repo/test /mnt/repo/conformance /mnt/repo/scripts /mnt/repo/schema .'
  echo 'ln -s /mnt/repo/node_modules node_modules'
  echo 'cp /mnt/repo/dist/tsrun dist/tsrun'
  echo 'echo "v2host guest: $(uname -r), systemd $(systemctl --version | head -1 | cut -d" " -f2), cgroup $(stat -fc %T /sys/fs/cgroup), node $(node --version)"'
  # What runs in the guest, every 15 s, for the host to show when the tier fails or hangs.
  # Its output goes nowhere and it is killed when vitest ends: the job's stdout is a pipe the
  # guest's runner waits on to close (a loop holding it kept a finished tier running until
  # the timeout).
  echo '(while sleep 15; do ps -eo pid,user,etimes,stat,wchan:24,args --sort=start_time | grep -v " \\[" | tail -30 > /mnt/out/ps.new; mv /mnt/out/ps.new /mnt/out/ps; done) >/dev/null 2>&1 </dev/null &'
  echo 'PSLOOP=$!'
  echo 'set +e'
  printf 'node node_modules/vitest/vitest.mjs run --no-cache --testTimeout=300000 --hookTimeout=300000'
  printf ' %q' "${GUEST_FILES[@]}"
  echo
  echo 'rc=$?'
  echo 'kill $PSLOOP 2>/dev/null'
  echo 'exit $rc'
} > "$RUN/job/job.sh"
set +e
bash scripts/v2host/run.sh --timeout "${V2HOST_TIMEOUT:-2400}" "$RUN/job" "$RUN/out" &
RUNPID=$!
wait "$RUNPID"
rc=$?
RUNPID=
set -e
if [ "$rc" != 0 ] && [ -s "$RUN/out/ps" ]; then
  echo "v2host: the guest's processes when last seen:"
  cat "$RUN/out/ps"
fi
echo "v2host guest tier: exit $rc after $(( $(date +%s) - t0 ))s in all"
exit $rc
