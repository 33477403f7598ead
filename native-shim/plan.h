/* The launch plan: the wire format between src/linux/plan.ts and the shim.
 *
 * A plan is a sequence of ops. Each op is:
 *   u32 code, u32 size (whole op, multiple of 8), i64 n[4], then up to 4 NUL-terminated
 *   strings (s[0..3]); a missing string is an empty one. Little-endian, native layout.
 * TS resolves everything that needs lookup or allocation; the shim executes the ops in order
 * with raw syscalls. Ops before OP_CLONE_INIT run in "stage 1" (joins namespaces, creates the
 * user namespace, unshares the rest); ops after it run in the container init.
 * Keep the numbers in sync with src/linux/plan-wire.ts (a unit test compares them).
 */
#ifndef TSRUN_PLAN_H
#define TSRUN_PLAN_H

enum plan_op {
	/* stage 1 */
	OP_SETNS = 1,        /* s0 = path, n0 = nstype */
	OP_UNSHARE_USER = 2, /* unshare(CLONE_NEWUSER), ask parent to write id maps, become root */
	OP_UNSHARE = 3,      /* n0 = clone flags */
	OP_CLONE_INIT = 4,   /* clone(CLONE_PARENT) the init; stage 1 reports its pid and exits */

	/* init: before the rootfs */
	OP_WAIT_PARENT = 10, /* block until the parent says go (payload: hook state JSONs) */
	OP_MOUNT = 11,       /* s0 src, s1 dst (in rootfs unless n3&MNT_HOST), s2 fstype, s3 data;
	                        n0 flags, n1 remount flags (0 = none), n2 propagation flags,
	                        n3 MNT_* bits below */
	OP_MKDIR = 12,       /* s0 path in rootfs, n0 mode: mkdir -p */
	OP_MKNOD = 13,       /* s0 path in rootfs, n0 mode (incl. type), n1 dev, n2 uid, n3 gid */
	OP_SYMLINK = 14,     /* s0 target, s1 link path in rootfs */
	OP_CHROOT_PREP = 15, /* s0 rootfs: chdir into it */
	OP_PIVOT = 16,       /* pivot_root into the cwd (n0 = 1: no pivot, MS_MOVE + chroot;
	                        n0 = 2: no mount namespace, chroot only) */
	OP_WRITE = 17,       /* s0 path, s1 content. n0 = 0: a /proc path, resolved beneath the procfs
	                        the init mounted (else the host's, opened by stage 1); n0 = 1:
	                        relative to the rootfs before pivot */
	OP_OPEN_FIFO = 18,   /* s0 exec.fifo path (host), opened O_PATH by stage 1 before any namespace */
	OP_CONSOLE_CONNECT = 19, /* s0 console socket path (host), connected by stage 1 likewise */
	OP_HOOK = 20,        /* s0 path, n0 phase (1 createContainer, 2 startContainer), n1 timeout s,
	                        n2 argc, n3 envc; followed by argc + envc OP_STR ops */
	OP_STR = 21,         /* s0: an element of the preceding list */
	OP_MASK = 22,        /* s0 container path (before pivot): the verified /dev/null over files,
	                        ro tmpfs over dirs */
	OP_READONLY = 23,    /* s0 container path (before pivot): a read-only copy of its tree on it */
	OP_REMOUNT_ROOT_RO = 24,
	OP_SETHOSTNAME = 25, /* s0 */
	OP_SETDOMAINNAME = 26, /* s0 */
	OP_RLIMIT = 27,      /* n0 resource, n1 soft, n2 hard */
	OP_KEYRING = 28,     /* s0 name: join a new session keyring */
	OP_OPEN_PTY = 29,    /* before pivot: n0 rows, n1 cols: open the pty, bind /dev/console (unless
	                        n2 = 1, for exec), send the master, make the slave stdio */
	OP_BOUNDING = 30,    /* n0 lo, n1 hi: keep only these caps in the bounding set */
	OP_USER = 31,        /* n0 uid, n1 gid, n2 ngroups; followed by ngroups OP_STR (decimal) */
	OP_CAPS = 32,        /* n0 effective, n1 permitted, n2 inheritable, n3 ambient (64-bit masks) */
	OP_UMASK = 33,       /* n0 */
	OP_NO_NEW_PRIVS = 34,
	OP_CHDIR = 35,       /* s0 */
	OP_EXEC = 36,        /* s0 PATH value; n0 argc, n1 envc, n3 = 1: exec at once
	                        (tsrun exec) instead of waiting on exec.fifo; then OP_STR args, envs */
	OP_SETSID = 37,
	OP_SET_MOUNT_PROPAGATION = 38, /* n0 flags for "/" (MS_REC|MS_SLAVE...) */
	OP_BIND_ROOTFS = 39, /* s0 rootfs: bind it onto itself so it is a mount point */
	OP_TIMENS_OFFSETS = 40, /* s0 content for /proc/self/timens_offsets (stage 1) */
	OP_PERSONALITY = 42, /* n0 persona */
	OP_CLOSE_FDS = 44,   /* n0 preserved fds: stdio + those stay open, the rest close at execve */
	OP_SECCOMP = 43,     /* s0 hex of struct sock_filter[n1], n0 SECCOMP_FILTER_FLAG_*, n2 = 1: load
	                        right before execve (with no_new_privs) instead of now */
	OP_MOUNT_SETATTR = 45, /* s0 path in rootfs (before pivot); n0 MOUNT_ATTR_* to set, n1 to clear:
	                          mount_setattr(AT_RECURSIVE) for runc's recursive "r*" options */
	OP_IDMAP_USERNS = 46, /* stage 1, before any namespace: s0 uid_map, s1 gid_map text; n0 slot:
	                         make a user namespace with those maps for an id-mapped mount */
	OP_SECCOMP_LISTENER = 47, /* stage 1, before any namespace: s0 linux.seccomp.listenerPath. Connect to
	                             it; once the filter is loaded (SECCOMP_FILTER_FLAG_NEW_LISTENER) its
	                             fd goes there with the state JSON the parent sent (third payload string) */
	OP_END = 99,
};

/* OP_MOUNT n3 bits */
#define MNT_IS_FILE 1   /* the destination is a file (bind of a file): create it as one */
#define MNT_NO_CREATE 2 /* do not create the destination */
#define MNT_TMPCOPYUP 4 /* tmpfs: copy what the rootfs had at the destination into it */
#define MNT_IDMAP 8     /* bind: an id-mapped clone (open_tree + MOUNT_ATTR_IDMAP + move_mount) */
#define MNT_IDMAP_REC 16 /* ... of the whole tree below the source (ridmap) */
#define MNT_MASK_IF_MISSING 32 /* bind: a source that does not exist masks the destination (an empty read-only tmpfs) */
#define MNT_USERNS_SHIFT 8 /* n3 >> this: the OP_IDMAP_USERNS slot of an id-mapped mount */

/* Sync messages (SOCK_SEQPACKET): struct sync_msg header then payload. */
enum sync_type {
	SYNC_GO = 1,        /* parent -> child: continue (payload optional) */
	SYNC_USERMAP = 2,   /* stage 1 -> parent: write uid/gid maps for value (pid) */
	SYNC_INIT_PID = 3,  /* stage 1 -> parent: value = pid of the init */
	SYNC_READY = 4,     /* init -> parent: created, now blocking on exec.fifo */
	SYNC_ERROR = 5,     /* any -> parent: payload = message */
};

struct sync_msg {
	int type;
	int value;
};

#endif
