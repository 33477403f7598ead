#!/usr/bin/env bash
# Builds the "modern host" guest: Debian 12 with systemd as PID 1 on pure cgroup v2, from
# Debian packages only. Output (cached; rebuilt only when this script changes):
#   $V2HOST_DIR/disk.img    ext4 root filesystem (booted read-only-ish: run.sh uses -snapshot)
#   $V2HOST_DIR/vmlinuz     Debian's linux-image-amd64 kernel (apt-get download + dpkg -x)
#   $V2HOST_DIR/initrd.img  busybox initramfs: loads virtio/ext4/9p, switch_root to systemd
# Needs root (mmdebstrap into a directory, file ownership), mmdebstrap, e2fsprogs, cpio,
# busybox-static (scripts/setup.sh installs them). Prints the dir on the last line.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${V2HOST_DIR:-$REPO/build/v2host}
# Everything that decides the image's content is in this script and guest/: its hash is the
# cache key.
KEY=$(cat "$0" "$REPO"/scripts/v2host/guest/* | sha256sum | cut -c1-16)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$KEY" ] &&
   [ -f "$OUT/disk.img" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ]; then
  echo "$OUT"; exit 0
fi
[ "$(id -u)" = 0 ] || { echo "v2host build: needs root" >&2; exit 1; }
for t in mmdebstrap mkfs.ext4 cpio busybox; do
  command -v $t >/dev/null || { echo "v2host build: $t missing (run scripts/setup.sh)" >&2; exit 1; }
done

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
t0=$(date +%s)
say() { echo "v2host build [$(( $(date +%s) - t0 ))s]: $*" >&2; }

# The host's Debian sources (same mirror, same snapshot) for mmdebstrap and apt-get download:
# the deb822 stanzas or one-line entries that carry the main archive and security.
SOURCES=$WORK/sources.list
{
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS="";ORS="\n\n"} /Suites:[^\n]*bookworm/ && /URIs:[^\n]*debian/' "$f"
  done
} > "$WORK/host.sources"
if [ -s "$WORK/host.sources" ]; then
  SOURCES=$WORK/host.sources
else
  grep -hE '^deb +[^ ]*debian[^ ]* +bookworm' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null > "$SOURCES" || true
  [ -s "$SOURCES" ] || echo 'deb http://deb.debian.org/debian bookworm main' > "$SOURCES"
fi

# Packages: systemd and D-Bus (the systemd cgroup driver), uidmap + libpam-systemd +
# dbus-user-session (rootless with user-slice delegation), busybox-static (test bundles),
# python3-minimal (tests' helpers), procps/iproute2 for poking around; criu + iptables
# (checkpoint/restore: CRIU locks the network with iptables), runc (the reference the
# guest tests compare with) and containerd + podman (real callers of checkpoint/restore).
PKGS=systemd-sysv,udev,dbus,kmod,uidmap,passwd,libpam-systemd,dbus-user-session,busybox-static,python3-minimal,procps,iproute2,util-linux,criu,iptables,runc,containerd,podman
ROOT=$WORK/root
# The Debian tree is the slow part (minutes): cached on its own, keyed by its inputs, so
# changes to the configuration below rebuild in well under a minute.
BASE=$OUT/base-$(echo "$PKGS" | cat - "$SOURCES" | sha256sum | cut -c1-12).tar
if [ ! -f "$BASE" ]; then
  say "mmdebstrap bookworm ($PKGS)"
  rm -rf "$OUT"/base-*.tar "$OUT/partial.tar"
  mmdebstrap --quiet --format=tar --variant=minbase --include="$PKGS" bookworm "$OUT/partial.tar" "$SOURCES" >&2
  mv "$OUT/partial.tar" "$BASE"
fi
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$BASE"

# The kernel: Debian's, downloaded (not installed on this host) and unpacked.
say "kernel"
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || { apt-get update -qq; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); }
mkdir -p "$OUT/dl"
if ! ls "$OUT/dl/$KPKG"_*.deb >/dev/null 2>&1; then
  rm -f "$OUT"/dl/*.deb
  (cd "$OUT/dl" && apt-get download -q "$KPKG" 2>&1 | grep -v 'unsandboxed' >&2 || true)
fi
dpkg -x "$OUT/dl/$KPKG"_*.deb "$WORK/k"
KVER=$(ls "$WORK/k/lib/modules")
mkdir -p "$ROOT/lib/modules"
cp -a "$WORK/k/lib/modules/$KVER" "$ROOT/lib/modules/"
chroot "$ROOT" depmod "$KVER"

# Guest configuration: the job runner and its unit, a test user with subordinate ids.
say "configure"
install -m 0755 "$REPO/scripts/v2host/guest/tsrun-job" "$ROOT/usr/local/sbin/tsrun-job"
install -m 0644 "$REPO/scripts/v2host/guest/tsrun-job.service" "$ROOT/etc/systemd/system/tsrun-job.service"
chroot "$ROOT" systemctl enable tsrun-job.service >&2
# Nothing that waits for a network or a login on the console: boot straight to the job.
chroot "$ROOT" systemctl mask getty@tty1.service serial-getty@ttyS0.service \
  systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
echo v2host > "$ROOT/etc/hostname"
# minbase has no netbase: without /etc/hosts, "localhost" (vitest's workers) does not resolve.
printf '127.0.0.1\tlocalhost v2host\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
echo '/dev/vda / ext4 rw,relatime 0 1' > "$ROOT/etc/fstab"
chroot "$ROOT" useradd -m -u 1000 -s /bin/bash tsr
grep -q '^tsr:' "$ROOT/etc/subuid" || echo 'tsr:100000:65536' >> "$ROOT/etc/subuid"
grep -q '^tsr:' "$ROOT/etc/subgid" || echo 'tsr:100000:65536' >> "$ROOT/etc/subgid"
# Lingering: systemd starts user@1000.service at boot (the user bus, /run/user/1000 and a
# delegated cgroup subtree for rootless containers) without a login.
mkdir -p "$ROOT/var/lib/systemd/linger" && touch "$ROOT/var/lib/systemd/linger/tsr"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*

# The initramfs: static busybox, the modules the root disk and the shares need (in
# dependency order, from the guest's own depmod), an init that mounts /dev/vda.
say "initramfs"
I=$WORK/initramfs
mkdir -p "$I"/{bin,dev,proc,sys,newroot,lib/modules}
cp /bin/busybox "$I/bin/busybox"
for a in sh mount umount insmod switch_root mkdir sleep cat echo; do ln -s busybox "$I/bin/$a"; done
MODS=$(for m in virtio_pci virtio_blk crc32c_generic ext4 9pnet_virtio 9p; do
  chroot "$ROOT" modprobe -S "$KVER" --show-depends "$m"; done | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++')
: > "$I/modules.order"
for m in $MODS; do
  cp "$ROOT$m" "$I/lib/modules/"
  echo "/lib/modules/$(basename "$m")" >> "$I/modules.order"
done
install -m 0755 "$REPO/scripts/v2host/guest/init" "$I/init"
(cd "$I" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.img"

# The disk: the tree as ext4, with room for what tests write (the writes themselves go to
# QEMU's throw-away overlay).
say "mkfs.ext4"
SIZE_MB=$(( $(du -sm "$ROOT" | cut -f1) + 1536 ))
rm -f "$WORK/disk.img"
mkfs.ext4 -q -F -L v2root -d "$ROOT" "$WORK/disk.img" "${SIZE_MB}M" >&2

mv -f "$WORK/disk.img" "$OUT/disk.img"
cp "$WORK/k/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
echo "$KVER" > "$OUT/kernel-version"
echo "$KEY" > "$OUT/stamp"
say "done ($OUT)"
echo "$OUT"
