#!/usr/bin/env bash
# Boots the v2host guest (scripts/v2host/build.sh) once under QEMU/TCG and runs a job in it:
#   run.sh [--timeout SECONDS] JOBDIR OUTDIR
# JOBDIR (read-only at /mnt/job) holds job.sh and whatever it needs (e.g. a node binary);
# the repository is at /mnt/repo (read-only); OUTDIR (writable, /mnt/out) receives log,
# status and console.log. The root disk is a throw-away overlay (-snapshot): every run
# starts from the pristine image. Exits with the job's status; 124 on timeout; 125 when the
# guest died without one. QEMU is killed on timeout, error and interrupt.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=900
MEM=${V2HOST_MEM:-3072}
SMP=${V2HOST_SMP:-2}
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) TIMEOUT=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# = 2 ] || { echo "usage: run.sh [--timeout S] JOBDIR OUTDIR" >&2; exit 2; }
JOB=$(cd "$1" && pwd)
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
IMG=$(bash "$REPO/scripts/v2host/build.sh" | tail -1)
rm -f "$OUT/status" "$OUT/log" "$OUT/console.log"

QPID=
TAILPID=
cleanup() {
  local rc=$?
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
    kill -KILL "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
  fi
  [ -z "$TAILPID" ] || { kill "$TAILPID" 2>/dev/null || true; wait "$TAILPID" 2>/dev/null || true; }
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -snapshot's overlay file is created and unlinked at once in TMPDIR: nothing stays behind
# even when QEMU is killed.
t0=$(date +%s)
TMPDIR=$OUT qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -smp "$SMP" -m "$MEM" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial "file:$OUT/console.log" \
  -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
  -append "console=ttyS0 quiet loglevel=3 systemd.show_status=false panic=-1" \
  -drive "file=$IMG/disk.img,if=virtio,format=raw,snapshot=on" \
  -virtfs "local,path=$REPO,mount_tag=repo,security_model=none,readonly=on" \
  -virtfs "local,path=$JOB,mount_tag=job,security_model=none,readonly=on" \
  -virtfs "local,path=$OUT,mount_tag=out,security_model=none" \
  -device virtio-rng-pci \
  </dev/null >"$OUT/qemu.log" 2>&1 &
QPID=$!
if [ -z "${V2HOST_QUIET:-}" ]; then
  # Stream the guest's console (the job's output) while it runs.
  touch "$OUT/console.log"
  tail -n +1 -f --pid="$QPID" "$OUT/console.log" >&2 &
  TAILPID=$!
fi
while kill -0 "$QPID" 2>/dev/null; do
  if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then
    echo "v2host: timeout after ${TIMEOUT}s; killing QEMU" >&2
    exit 124
  fi
  sleep 1
done
wait "$QPID" || { echo "v2host: qemu failed: $(tail -5 "$OUT/qemu.log")" >&2; }
QPID=
[ -z "$TAILPID" ] || { wait "$TAILPID" 2>/dev/null || true; TAILPID=; }
echo "v2host: guest ran $(( $(date +%s) - t0 ))s" >&2
if [ ! -s "$OUT/status" ]; then
  echo "v2host: the guest stopped without a job status; console tail:" >&2
  tail -30 "$OUT/console.log" >&2
  exit 125
fi
exit "$(cat "$OUT/status")"
