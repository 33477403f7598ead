#!/usr/bin/env python3
"""List the filesystem types of every mount in another process's mount namespace, covered
mounts included (listmount(2)/statmount(2), Linux 6.8+; namespace ids need 6.10+).
Usage: mounts-in-ns.py PID  -> one "fstype root mountpoint" line per mount (root: the
directory of its filesystem it shows, "/" for a full mount; mountpoint: empty where it is
not reachable from the caller's root). Exits 2 where the kernel lacks these calls."""
import ctypes, fcntl, os, struct, sys

SYS_statmount, SYS_listmount = 457, 458
LSMT_ROOT = 0xFFFFFFFFFFFFFFFF
STATMOUNT_MNT_ROOT, STATMOUNT_MNT_POINT, STATMOUNT_FS_TYPE = 0x4, 0x8, 0x20
NS_GET_MNTNS_ID = (2 << 30) | (8 << 16) | (0xB7 << 8) | 0x5  # _IOR(0xb7, 5, u64)
libc = ctypes.CDLL(None, use_errno=True)

fd = os.open(f'/proc/{sys.argv[1]}/ns/mnt', os.O_RDONLY)
try:
    ns_id = struct.unpack('Q', fcntl.ioctl(fd, NS_GET_MNTNS_ID, b'\0' * 8))[0]
except OSError as e:
    print(f'NS_GET_MNTNS_ID: {e.strerror}', file=sys.stderr)
    sys.exit(2)
os.close(fd)
# struct mnt_id_req { u32 size, spare; u64 mnt_id, param, mnt_ns_id; }
def req(mnt_id, param):
    return struct.pack('IIQQQ', 32, 0, mnt_id, param, ns_id)
ids = (ctypes.c_uint64 * 4096)()
r = req(LSMT_ROOT, 0)
n = libc.syscall(SYS_listmount, r, ids, 4096, 0)
if n < 0:
    print(f'listmount: {os.strerror(ctypes.get_errno())}', file=sys.stderr)
    sys.exit(2)
buf = ctypes.create_string_buffer(65536)
for i in range(n):
    r = req(ids[i], STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE)
    if libc.syscall(SYS_statmount, r, buf, len(buf), 0) < 0:
        continue
    # struct statmount: u32 size, mnt_opts, u64 mask, u32 sb_dev_major, sb_dev_minor, u64 sb_magic,
    # u32 sb_flags, fs_type, u64 mnt_id, mnt_parent_id, u32 mnt_id_old, mnt_parent_id_old,
    # u64 mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from,
    # u32 mnt_root, mnt_point, ... ; strings at offset 0x200 (char str[])
    raw = buf.raw
    fs_type_off = struct.unpack_from('I', raw, 36)[0]
    mnt_point_off = struct.unpack_from("I", raw, 108)[0]
    mnt_root_off = struct.unpack_from("I", raw, 104)[0]
    s = lambda off: raw[0x200 + off:].split(b'\0', 1)[0].decode()
    print(s(fs_type_off), s(mnt_root_off), s(mnt_point_off))
