#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks, then the npm dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -x /bin/busybox ] || need+=(busybox-static)
[ -d /usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema ] || need+=(golang-github-opencontainers-specs-dev)
command -v cc >/dev/null || need+=(gcc libc6-dev)
command -v python3 >/dev/null || need+=(python3)
command -v podman >/dev/null || need+=(podman)   # test/integration/podman.test.ts drives tsrun through podman
[ -x /usr/sbin/runc ] || need+=(runc)            # test/integration/parity.test.ts runs runc side by side
# test/integration/docker.test.ts and containerd.test.ts start private daemons of their own
# and run every scenario against runc as well.
[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || need+=(docker.io)
[ -x /usr/bin/containerd ] && [ -x /usr/bin/ctr ] || need+=(containerd)
command -v script >/dev/null || need+=(bsdutils)
# The v2host guest tier (scripts/v2host): QEMU, and what builds its Debian 12 image.
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v cpio >/dev/null || need+=(cpio)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need[*]}"
  apt-get update -qq
  # The packages' own system daemons (docker, containerd) must not start: the tests run
  # private ones. policy-rc.d 101 tells invoke-rc.d not to start services.
  policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm ci rejects this npm's own lock files (optional platform packages missing): install
  # from the lock with npm install instead.
  npm install --no-audit --no-fund --loglevel=error
fi
