/* tsrun native shim: the part of a container launch that cannot run in a multi-threaded Node
 * process. Node builds a flat launch plan (plan.h); tsrun_spawn() forks a stage-1 child that
 * executes it. The children are copies of a multi-threaded process: they use raw syscalls on
 * memory prepared before the fork only (no malloc, no stdio, no glibc set*id broadcasts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

#include "plan.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define PROC_SUPER_MAGIC 0x9fa0
#define PROC_ROOT_INO 1
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define MAX_HOOKS 64

struct op {
	uint32_t code;
	int64_t n[4];
	const char *s[4];
};

static const uint8_t *plan_p, *plan_end, *op_start;
static int sync_fd = -1;
static int root_fd = -1;    /* the rootfs, before pivot */
static int proc_fd = -1;    /* root of the procfs the init mounted (verified): /proc writes, masks */
static int host_proc_fd = -1; /* the host's /proc, opened by stage 1 before any namespace (exec) */
static int null_fd = -1;    /* the container's /dev/null, verified to be the null device */
static int fifo_fd = -1;
static int console_fd = -1;
static int report_fd = -1;  /* after `start`: the exec.fifo write end, read by `tsrun start` */
static char payload[65536]; /* from the parent: "<creating state>\0<created state>\0" */
static const char *hook_state[3];
static const char *listener_state; /* third payload string: for the seccomp listener */
static int listener_fd = -1;       /* connected to linux.seccomp.listenerPath by stage 1 */
static const uint8_t *start_hooks[MAX_HOOKS];
static int n_start_hooks;
static char **list_a, **list_b;   /* the process's argv and envp */
static char **hook_a, **hook_b;   /* a hook's: hooks run after the process's lists are read */
static char hookmsg[4096], progbuf[4096];
static char errmsg[4096];
static struct sock_filter seccomp_prog[4096];
static unsigned short seccomp_len;
static unsigned int seccomp_flags;
static int seccomp_deferred;
static char pathbuf[4096], pathbuf2[4096], tmpfsdata[4096];
static const char *rootfs_path = "";
static dev_t pty_rdev; /* the pty slave open_pty made the process's stdio */
static char mountinfo[1 << 18];

/* ---------- small helpers that need no libc state ---------- */

static int next_op(struct op *o)
{
	uint32_t size;
	const char *sp, *end;
	if (plan_p + 8 + 32 > plan_end)
		return 0;
	op_start = plan_p;
	memcpy(&o->code, plan_p, 4);
	memcpy(&size, plan_p + 4, 4);
	memcpy(o->n, plan_p + 8, 32);
	sp = (const char *)plan_p + 40;
	end = (const char *)plan_p + size;
	for (int i = 0; i < 4; i++) {
		if (sp < end) {
			o->s[i] = sp;
			sp += strlen(sp) + 1;
		} else {
			o->s[i] = "";
		}
	}
	plan_p += size;
	return 1;
}

static char *put(char *p, char *end, const char *s)
{
	while (*s && p < end - 1)
		*p++ = *s++;
	*p = 0;
	return p;
}

/* Send fd over the connected unix socket sock (SCM_RIGHTS) with data as the message:
 * the console master, the seccomp notify fd, restore's pty master, a pidfd. 0 or -errno. */
static int send_fd_on(int sock, int fd, const char *data)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static char *put_int(char *p, char *end, long v)
{
	char tmp[24];
	int i = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	if (v < 0)
		p = put(p, end, "-");
	do {
		tmp[i++] = '0' + u % 10;
		u /= 10;
	} while (u);
	while (i && p < end - 1)
		*p++ = tmp[--i];
	*p = 0;
	return p;
}

static char *put_octal(char *p, char *end, unsigned v)
{
	char tmp[16];
	int n = 0;
	do
		tmp[n++] = '0' + (v & 7);
	while ((v >>= 3) && n < 15);
	tmp[n++] = '0';
	while (n > 0 && p < end - 1)
		*p++ = tmp[--n];
	*p = 0;
	return p;
}

static const char *fd_path(int fd, char *buf)
{
	put_int(put(buf, buf + 64, "/proc/self/fd/"), buf + 64, fd);
	return buf;
}

static void send_msg(int type, int value, const char *text)
{
	char buf[sizeof(struct sync_msg) + sizeof(errmsg)];
	struct sync_msg m = { type, value };
	size_t len = text ? strlen(text) : 0;
	memcpy(buf, &m, sizeof m);
	if (len)
		memcpy(buf + sizeof m, text, len);
	if (sync_fd >= 0)
		send(sync_fd, buf, sizeof m + len, MSG_NOSIGNAL);
}

/* Report errmsg (err: its errno, or 0) to the parent (or stderr once it is gone) and die. */
static void __attribute__((noreturn)) report(int err)
{
	if (sync_fd >= 0) {
		send_msg(SYNC_ERROR, err, errmsg);
	} else if (report_fd >= 0) {
		write(report_fd, errmsg, strlen(errmsg));
	} else {
		write(2, "tsrun: ", 7);
		write(2, errmsg, strlen(errmsg));
		write(2, "\n", 1);
	}
	_exit(1);
}

/* The errno text as Go prints it ("no such file or directory"): callers such as dockerd
 * match runc's messages on these words. strerror's wording, first letter lowered. */
static char *put_errtext(char *p, char *end, int err)
{
	const char *desc = strerrordesc_np(err);
	char *start = p;
	p = put(p, end, desc ? desc : "unknown error");
	if (*start >= 'A' && *start <= 'Z')
		*start += 'a' - 'A';
	return p;
}

/* Report "<what> <obj>: ENAME (description)" and die. */
static void __attribute__((noreturn)) fail(const char *what, const char *obj, int err)
{
	char *p = errmsg, *end = errmsg + sizeof errmsg;
	p = put(p, end, what);
	if (obj && *obj) {
		p = put(p, end, " ");
		p = put(p, end, obj);
	}
	if (err) {
		const char *name = strerrorname_np(err);
		p = put(p, end, ": ");
		p = put(p, end, name ? name : "errno");
		p = put(p, end, " (");
		p = put_errtext(p, end, err);
		p = put(p, end, ")");
	}
	report(err);
}

/* Go's exec.LookPath error, as runc prints it: exec: "<arg0>": <detail>[: <errno text>]. */
static void __attribute__((noreturn)) fail_exec(const char *arg0, const char *detail, int err)
{
	char *p = errmsg, *end = errmsg + sizeof errmsg;
	p = put(p, end, "exec: \"");
	p = put(p, end, arg0);
	p = put(p, end, "\": ");
	p = put(p, end, detail);
	if (err) {
		if (*detail)
			p = put(p, end, ": ");
		put_errtext(p, end, err);
	}
	report(err);
}

static void wait_go(void)
{
	struct sync_msg m;
	char buf[sizeof m + sizeof payload];
	ssize_t n = recv(sync_fd, buf, sizeof buf, 0);
	if (n < (ssize_t)sizeof m)
		_exit(1); /* the parent went away: nothing to report to */
	memcpy(&m, buf, sizeof m);
	if (m.type != SYNC_GO)
		_exit(1);
	if (n > (ssize_t)sizeof m) {
		size_t len = n - sizeof m;
		if (len >= sizeof payload)
			len = sizeof payload - 1;
		memcpy(payload, buf + sizeof m, len);
		payload[len] = 0;
		hook_state[1] = payload;
		hook_state[2] = payload + strlen(payload) + 1;
		if (hook_state[2] >= payload + len)
			hook_state[2] = payload;
		listener_state = hook_state[2] + strlen(hook_state[2]) + 1;
		if (listener_state >= payload + len)
			listener_state = NULL;
	}
}

/* openat2 confined to the rootfs (before pivot) or to "/" (after): symlinks cannot escape. */
static int open_in_root(const char *path, int flags)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int dirfd = root_fd >= 0 ? root_fd : AT_FDCWD;
	if (root_fd < 0)
		how.resolve = 0; /* after pivot_root "/" is the container's root */
	return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Resolve a "/proc/..." path beneath the procfs the init mounted (proc_fd), never through
 * the /proc mountpoint by name: a process sharing the rootfs can rename that mountpoint and
 * put a fake tree (or symlinks into the real one) in its place (CVE-2025-52881). Without a
 * procfs of the init's own (exec), beneath the host's /proc that stage 1 opened before
 * joining any namespace. resolve: extra RESOLVE_* flags. Fails with EXDEV off procfs. */
static int open_proc(const char *path, int flags, unsigned long long resolve)
{
	int base = proc_fd >= 0 ? proc_fd : host_proc_fd;
	struct statfs sf;
	if (base < 0 || strncmp(path, "/proc/", 6) != 0) {
		errno = base < 0 ? ENOENT : EINVAL;
		return -1;
	}
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | resolve };
	int fd = syscall(SYS_openat2, base, path + 6, &how, sizeof how);
	if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* Before pivot: the target of a mask or read-only path. Under /proc, beneath the verified
 * procfs (no symlinks); elsewhere confined to the rootfs. */
static int open_target(const char *path)
{
	if (proc_fd >= 0 && strncmp(path, "/proc/", 6) == 0) {
		struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		return syscall(SYS_openat2, proc_fd, path + 6, &how, sizeof how);
	}
	return open_in_root(path, O_PATH | O_NOFOLLOW);
}

/* Split path into parent (in pathbuf2) and last component; returns the last component. */
static const char *split_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) : 0;
	if (plen >= sizeof pathbuf2)
		plen = sizeof pathbuf2 - 1;
	memcpy(pathbuf2, path, plen);
	pathbuf2[plen] = 0;
	if (!plen)
		put(pathbuf2, pathbuf2 + 2, "/");
	return slash ? slash + 1 : path;
}

/* mkdir -p of path inside the root, each step resolved inside the root. A dangling symlink
 * on the way is followed (inside the root) and its target created, as runc's securejoin does. */
static void mkdir_all_depth(const char *path, mode_t mode, int depth)
{
	char buf[4096], link[4096], target[4096];
	size_t len = strlen(path);
	if (len >= sizeof buf)
		fail("path too long:", path, ENAMETOOLONG);
	if (depth > 40)
		fail("too many levels of symbolic links in", path, ELOOP);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		char saved = buf[i];
		buf[i] = 0;
		int fd = open_in_root(buf, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
		} else if (errno == ENOENT) {
			const char *name = split_parent(buf);
			int pfd = open_in_root(pathbuf2, O_PATH | O_DIRECTORY);
			if (pfd < 0)
				fail("open", pathbuf2, errno);
			if (mkdirat(pfd, name, mode) < 0) {
				if (errno != EEXIST)
					fail("mkdir", buf, errno);
				ssize_t n = readlinkat(pfd, name, link, sizeof link - 1);
				if (n > 0) {
					link[n] = 0;
					char *t = target, *end = target + sizeof target;
					if (link[0] != '/') {
						t = put(t, end, pathbuf2);
						t = put(t, end, "/");
					}
					put(t, end, link);
					close(pfd);
					mkdir_all_depth(target, mode, depth + 1);
					pfd = -1;
				}
			}
			if (pfd >= 0)
				close(pfd);
		} else {
			fail("open", buf, errno);
		}
		buf[i] = saved;
	}
}

static void mkdir_all(const char *path, mode_t mode)
{
	mkdir_all_depth(path, mode, 0);
}

/* Make sure a file exists at path (for bind mounts of files and device nodes). */
static void make_file(const char *path)
{
	int fd = open_in_root(path, O_PATH);
	if (fd >= 0) {
		close(fd);
		return;
	}
	const char *name = split_parent(path);
	mkdir_all(pathbuf2, 0755);
	split_parent(path);
	int pfd = open_in_root(pathbuf2, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		fail("open", pathbuf2, errno);
	fd = openat(pfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno != EEXIST)
		fail("create", path, errno);
	if (fd >= 0)
		close(fd);
	close(pfd);
}

/* Mount flags a bind remount must keep (they are locked in a user namespace). */
static unsigned long locked_flags(const char *target)
{
	struct statfs st;
	if (statfs(target, &st) < 0)
		return 0;
	return st.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_RDONLY);
}

static void remount(const char *target, unsigned long flags, const char *what)
{
	if (mount(NULL, target, NULL, flags, NULL) == 0)
		return;
	if (errno == EPERM && mount(NULL, target, NULL, flags | locked_flags(target), NULL) == 0)
		return;
	fail("remount", what, errno);
}

/* tmpcopyup: copy the tree at `from` into `to` (the new tmpfs), keeping owners, modes,
 * times, symlinks and device nodes. Raw syscalls only; recursion bounded. */
static char copy_link[4096];
static void copy_tree(int from, int to, const char *what, int depth)
{
	char buf[2048];
	if (depth > 64)
		fail("tmpcopyup: directory tree too deep at", what, ELOOP);
	for (;;) {
		long n = syscall(SYS_getdents64, from, buf, sizeof buf);
		if (n < 0)
			fail("tmpcopyup: read directory", what, errno);
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d = (void *)(buf + off);
			off += d->reclen;
			const char *name = d->name;
			struct stat st;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				fail("tmpcopyup: stat", name, errno);
			if (S_ISDIR(st.st_mode)) {
				if (mkdirat(to, name, 0700) < 0)
					fail("tmpcopyup: mkdir", name, errno);
				int f = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				int t = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (f < 0 || t < 0)
					fail("tmpcopyup: open directory", name, errno);
				copy_tree(f, t, name, depth + 1);
				close(f);
				close(t);
			} else if (S_ISREG(st.st_mode)) {
				int f = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
				int t = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
				if (f < 0 || t < 0)
					fail("tmpcopyup: open", name, errno);
				ssize_t w;
				while ((w = sendfile(t, f, NULL, 1 << 20)) > 0)
					;
				if (w < 0)
					fail("tmpcopyup: copy", name, errno);
				close(f);
				close(t);
			} else if (S_ISLNK(st.st_mode)) {
				ssize_t l = readlinkat(from, name, copy_link, sizeof copy_link - 1);
				if (l < 0)
					fail("tmpcopyup: readlink", name, errno);
				copy_link[l] = 0;
				if (symlinkat(copy_link, to, name) < 0)
					fail("tmpcopyup: symlink", name, errno);
			} else if (mknodat(to, name, st.st_mode, st.st_rdev) < 0) {
				fail("tmpcopyup: mknod", name, errno);
			}
			/* Owner before mode (chown clears set-id bits); times last. */
			if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
				fail("tmpcopyup: chown", name, errno);
			if (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0)
				fail("tmpcopyup: chmod", name, errno);
			struct timespec ts[2] = { st.st_atim, st.st_mtim };
			utimensat(to, name, ts, AT_SYMLINK_NOFOLLOW);
		}
	}
}

static int userns_fds[256]; /* OP_IDMAP_USERNS slots */
static void write_file(const char *path, const char *content, int in_rootfs);

/* A user namespace whose maps are uid_map/gid_map: a child is cloned into a new one, its
 * maps are written from here (root of the parent namespace), its ns file is kept open. */
static int make_userns(const char *uid_map, const char *gid_map)
{
	char p[64];
	int pipefd[2], status;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		fail("pipe for id-mapped mount", "", errno);
	pid_t pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail("create a user namespace for an id-mapped mount", "", errno);
	if (pid == 0) {
		char c;
		close(pipefd[1]);
		read(pipefd[0], &c, 1); /* until the parent is done with us */
		_exit(0);
	}
	close(pipefd[0]);
	char *e = put(p, p + sizeof p, "/proc/");
	e = put_int(e, p + sizeof p, pid);
	put(e, p + sizeof p, "/uid_map");
	write_file(p, uid_map, 0);
	put(e, p + sizeof p, "/gid_map");
	write_file(p, gid_map, 0);
	put(e, p + sizeof p, "/ns/user");
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open", p, errno);
	close(pipefd[1]);
	waitpid(pid, &status, 0);
	return fd;
}

/* idmap/ridmap: clone the source tree detached, id-map it, attach it at fd. */
static void mount_idmapped(const char *src, int fd, int bits, const char *dst)
{
	int rec = bits & MNT_IDMAP_REC ? AT_RECURSIVE : 0;
	int slot = (bits >> MNT_USERNS_SHIFT) & 0xff;
	int tree = syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
	if (tree < 0)
		fail("clone mount tree of", src, errno);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns_fds[slot] };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0)
		fail("id-map mount of", src, errno);
	if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail("attach id-mapped mount on", dst, errno);
	close(tree);
	close(userns_fds[slot]);
	userns_fds[slot] = -1;
}

static void do_mount(const struct op *o)
{
	char fdp[64];
	const char *src = o->s[0], *dst = o->s[1], *type = o->s[2], *data = o->s[3];
	unsigned long flags = o->n[0], reflags = o->n[1], prop = o->n[2];
	int bits = o->n[3], lower = -1;
	if ((bits & MNT_MASK_IF_MISSING) && access(src, F_OK) < 0 && errno == ENOENT) {
		/* Rootless, no cgroup of its own: an empty read-only tmpfs, as runc masks it. */
		src = "tmpfs";
		type = "tmpfs";
		data = "size=0";
		flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		reflags = 0;
	}
	int is_proc = !strcmp(type, "proc") || !strcmp(type, "sysfs");
	if (is_proc || !strcmp(type, "tmpfs")) {
		int fd = open_in_root(dst, O_PATH | (is_proc ? O_NOFOLLOW : 0));
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0) {
			/* procfs/sysfs through a symlink has been an attack path: a directory only (runc). */
			if (is_proc && !S_ISDIR(st.st_mode)) {
				char *p = put(pathbuf, pathbuf + sizeof pathbuf, "mount ");
				p = put(p, pathbuf + sizeof pathbuf, type);
				p = put(p, pathbuf + sizeof pathbuf, " on ");
				p = put(p, pathbuf + sizeof pathbuf, dst);
				put(p, pathbuf + sizeof pathbuf, ": the destination must be an ordinary directory, not a symlink or file");
				fail(pathbuf, "", 0);
			}
			/* A tmpfs takes the mode of the directory it covers unless mode= says otherwise
			 * (the later option wins). */
			if (!is_proc) {
				char *p = put(tmpfsdata, tmpfsdata + sizeof tmpfsdata, "mode=");
				p = put_octal(p, tmpfsdata + sizeof tmpfsdata, st.st_mode & 07777);
				if (*data) {
					p = put(p, tmpfsdata + sizeof tmpfsdata, ",");
					put(p, tmpfsdata + sizeof tmpfsdata, data);
				}
				data = tmpfsdata;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	if (!(bits & MNT_NO_CREATE)) {
		if (bits & MNT_IS_FILE)
			make_file(dst);
		else
			mkdir_all(dst, 0755);
	}
	int fd = open_in_root(dst, O_PATH);
	if (fd < 0)
		fail("open mount destination", dst, errno);
	if (bits & MNT_TMPCOPYUP) {
		/* Keep the rootfs directory reachable (a read-only tmpfs is made read-only only
		 * after the root is set up: plan.ts). */
		lower = open_in_root(dst, O_RDONLY | O_DIRECTORY);
		if (lower < 0)
			fail("tmpcopyup: open", dst, errno);
	}
	if (bits & MNT_IDMAP) {
		mount_idmapped(src, fd, bits, dst);
	} else if (mount(*src ? src : NULL, fd_path(fd, fdp), *type ? type : NULL, flags, *data ? data : NULL) < 0) {
		int err = errno;
		char *p = put(pathbuf, pathbuf + sizeof pathbuf, *type ? type : "bind");
		p = put(p, pathbuf + sizeof pathbuf, " ");
		p = put(p, pathbuf + sizeof pathbuf, src);
		p = put(p, pathbuf + sizeof pathbuf, " on ");
		put(p, pathbuf + sizeof pathbuf, dst);
		fail("mount", pathbuf, err);
	}
	close(fd);
	if (lower >= 0) {
		int upper = open_in_root(dst, O_RDONLY | O_DIRECTORY);
		if (upper < 0)
			fail("tmpcopyup: open", dst, errno);
		copy_tree(lower, upper, dst, 0);
		close(upper);
		close(lower);
	}
	if (!strcmp(type, "proc") && proc_fd < 0) {
		/* Keep the procfs itself: every later /proc write and mask resolves beneath it. If
		 * the destination no longer leads to it (renamed meanwhile), fail closed. */
		struct statfs sf;
		struct stat st;
		proc_fd = open_in_root(dst, O_PATH | O_DIRECTORY);
		if (proc_fd < 0 || fstatfs(proc_fd, &sf) < 0 || fstat(proc_fd, &st) < 0 ||
		    sf.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
			fail("procfs just mounted is no longer at", dst, EXDEV);
	}
	if (!reflags && !prop)
		return;
	/* Reopen: the old fd still points below the new mount. */
	fd = open_in_root(dst, O_PATH);
	if (fd < 0)
		fail("open mount destination", dst, errno);
	if (reflags)
		remount(fd_path(fd, fdp), reflags, dst);
	for (int bit = 0; bit < 32; bit++) {
		unsigned long f = prop & (1UL << bit);
		if (!f || f == MS_REC)
			continue;
		if (mount(NULL, fd_path(fd, fdp), NULL, f | (prop & MS_REC), NULL) < 0)
			fail("set propagation of", dst, errno);
	}
	close(fd);
}

static void do_mknod(const struct op *o)
{
	const char *path = o->s[0];
	const char *name = split_parent(path);
	mkdir_all(pathbuf2, 0755);
	split_parent(path);
	int pfd = open_in_root(pathbuf2, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		fail("open", pathbuf2, errno);
	/* An existing node of the same kind is reused; anything else there is an error. */
	struct stat st;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((st.st_mode & S_IFMT) != ((mode_t)o->n[0] & S_IFMT) || st.st_rdev != (dev_t)o->n[1])
			fail("create device: a different file already exists at", path, EEXIST);
	} else if (mknodat(pfd, name, o->n[0], o->n[1]) < 0) {
		fail("mknod", path, errno);
	}
	/* Owner and mode through an fd of the node itself, never by name: whoever can write the
	 * directory could swap the name for a symlink to a host file in between (fchmodat
	 * follows symlinks). The fd is checked to be the node that was meant. */
	char fdp[64];
	int nfd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		fail("open device", path, errno);
	if (fstat(nfd, &st) < 0)
		fail("stat device", path, errno);
	if ((st.st_mode & S_IFMT) != ((mode_t)o->n[0] & S_IFMT) || st.st_rdev != (dev_t)o->n[1])
		fail("create device: replaced while being created:", path, EEXIST);
	if (fchownat(nfd, "", o->n[2], o->n[3], AT_EMPTY_PATH) < 0)
		fail("chown", path, errno);
	/* No fchmod on an O_PATH fd: chmod its /proc/self/fd link (the host's /proc: before pivot). */
	if (chmod(fd_path(nfd, fdp), o->n[0] & 07777) < 0)
		fail("chmod", path, errno);
	close(nfd);
	close(pfd);
}

static void do_symlink(const struct op *o)
{
	const char *name = split_parent(o->s[1]);
	int pfd = open_in_root(pathbuf2, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		fail("open", pathbuf2, errno);
	if (symlinkat(o->s[0], pfd, name) < 0 && errno != EEXIST)
		fail("symlink", o->s[1], errno);
	close(pfd);
}

/* Undo mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* --no-pivot leaves the host's mounts in the container's mount namespace, below its chroot.
 * A full procfs or sysfs mount there would let the container mount a fresh one of its own
 * (the kernel's "mount too revealing" check looks at the namespace, not the chroot): detach
 * every full proc/sysfs mount outside the rootfs first (or cover it where that is refused),
 * as runc does. */
static void hide_host_proc_sys(void)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open", "/proc/self/mountinfo", errno);
	size_t len = 0;
	ssize_t n;
	while (len < sizeof mountinfo - 1 && (n = read(fd, mountinfo + len, sizeof mountinfo - 1 - len)) > 0)
		len += n;
	close(fd);
	if (len >= sizeof mountinfo - 1)
		fail("read /proc/self/mountinfo: too large", "", E2BIG);
	mountinfo[len] = 0;
	size_t rlen = strlen(rootfs_path);
	for (char *line = mountinfo, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
		char *f[5] = { 0 }, *sep = strstr(line, " - "), *p = line;
		if (!sep)
			continue;
		*sep = 0;
		for (int i = 0; i < 5 && p; i++) {
			f[i] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = 0;
		}
		char *fstype = sep + 3, *sp = strchr(fstype, ' ');
		if (sp)
			*sp = 0;
		if (!f[4] || strcmp(f[3], "/") || (strcmp(fstype, "proc") && strcmp(fstype, "sysfs")))
			continue;
		unescape(f[4]);
		if (!strncmp(f[4], rootfs_path, rlen) && (f[4][rlen] == 0 || f[4][rlen] == '/'))
			continue;
		/* Keep the unmount from propagating to the host. */
		if (mount(NULL, f[4], NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue; /* below something already detached */
			fail("make host mount rslave:", f[4], errno);
		}
		if (umount2(f[4], MNT_DETACH) < 0) {
			if (errno != EINVAL && errno != EPERM)
				fail("detach host mount", f[4], errno);
			if (mount("tmpfs", f[4], "tmpfs", 0, NULL) < 0)
				fail("cover host mount", f[4], errno);
		}
	}
}

/* Stdio that is /dev/null (a caller's, from the host's /dev) is reopened from the
 * container's own /dev/null once the root is switched, as runc does: CRIU cannot dump a file
 * that lives on a mount outside the container's mount namespace. A rootfs without
 * /dev/null keeps the caller's. */
static void reopen_dev_null(void)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
			continue;
		int flags = fcntl(fd, F_GETFL);
		/* The rootfs is the container's: its /dev/null may be a symlink or a planted file.
		 * Take it only when it is really the null device; otherwise keep the caller's. */
		int nfd = open("/dev/null", (flags < 0 ? O_RDWR : flags & O_ACCMODE) | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
		struct stat nst;
		if (nfd < 0)
			return;
		if (fstat(nfd, &nst) < 0 || !S_ISCHR(nst.st_mode) || nst.st_rdev != makedev(1, 3)) {
			close(nfd);
			return;
		}
		fcntl(nfd, F_SETFL, 0); /* O_NONBLOCK only kept a planted fifo from blocking the open */
		if (dup3(nfd, fd, 0) < 0)
			fail("reopen /dev/null as stdio", "", errno);
		close(nfd);
	}
}

static void do_pivot(int mode)
{
	if (mode == 2) {
		/* No mount namespace: only chroot (a pivot or move would change the host's root). */
		if (chroot(".") < 0)
			fail("chroot", "", errno);
	} else if (mode == 1) {
		hide_host_proc_sys();
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			fail("move rootfs to /", "", errno);
		if (chroot(".") < 0)
			fail("chroot", "", errno);
	} else {
		int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (oldroot < 0)
			fail("open", "/", errno);
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			fail("pivot_root", "", errno);
		if (fchdir(oldroot) < 0)
			fail("fchdir old root", "", errno);
		/* Keep the unmount of the old root from propagating to the host. */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			fail("make old root rslave", "", errno);
		if (umount2(".", MNT_DETACH) < 0)
			fail("unmount old root", "", errno);
		close(oldroot);
	}
	if (chdir("/") < 0)
		fail("chdir", "/", errno);
	if (mode != 2)
		reopen_dev_null();
	close(root_fd);
	root_fd = -1;
	if (null_fd >= 0)
		close(null_fd);
	null_fd = -1;
	/* The host's /proc is needed only where the init mounted no procfs of its own. */
	if (proc_fd >= 0 && host_proc_fd >= 0) {
		close(host_proc_fd);
		host_proc_fd = -1;
	}
}

/* The mask source: the container's /dev/null, opened without following symlinks and
 * checked to be the null device (1:3); masks are bound from this fd, never from the path,
 * which a racer could swap for a symlink to a file it wants writable (CVE-2025-31133). */
static void open_null(void)
{
	struct stat st;
	if (null_fd >= 0)
		return;
	null_fd = open_in_root("/dev/null", O_PATH | O_NOFOLLOW);
	if (null_fd < 0)
		fail("open /dev/null to mask paths", "", errno);
	if (fstat(null_fd, &st) < 0)
		fail("stat", "/dev/null", errno);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		fail("mask paths: /dev/null in the container is not the null device (1:3)", "", EPERM);
}

static void do_mask(const char *path)
{
	char fdp[64], nullp[64];
	struct stat st;
	int fd = open_target(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail("open masked path", path, errno);
	}
	if (fstat(fd, &st) < 0)
		fail("stat masked path", path, errno);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fd_path(fd, fdp), "tmpfs", MS_RDONLY, NULL) < 0)
			fail("mask", path, errno);
	} else {
		open_null();
		if (mount(fd_path(null_fd, nullp), fd_path(fd, fdp), NULL, MS_BIND, NULL) < 0)
			fail("mask", path, errno);
	}
	close(fd);
}

/* A read-only copy of the tree at path, made and attached through fds (open_tree,
 * mount_setattr, move_mount): no second lookup of the path that a racer could redirect. */
static void do_readonly(const char *path)
{
	int fd = open_target(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail("open readonly path", path, errno);
	}
	int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		fail("bind readonly path", path, errno);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		fail("make read-only", path, errno);
	if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail("mount read-only copy of", path, errno);
	close(tree);
	close(fd);
}

/* OP_WRITE: in_rootfs 0: a /proc file (sysctl, /proc/self/...), resolved beneath procfs
 * (open_proc: fail closed if there is none); 1: a file in the rootfs, before pivot. */
static void write_file(const char *path, const char *content, int in_rootfs)
{
	int fd = in_rootfs ? open_in_root(path, O_WRONLY | O_TRUNC) : open_proc(path, O_WRONLY | O_TRUNC, RESOLVE_NO_XDEV);
	if (fd < 0)
		fail("open", path, errno);
	size_t len = strlen(content);
	if (write(fd, content, len) != (ssize_t)len)
		fail("write", path, errno);
	close(fd);
}

static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < 65; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Anonymous memory for n items of size each: mmap is a plain syscall, safe in a copy of a
 * multi-threaded process (malloc is not). Lists have no fixed cap: execve's E2BIG is the limit. */
static void *alloc_items(size_t n, size_t size)
{
	void *p = mmap(NULL, n * size > 0 ? n * size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("allocate a list of", "items", errno);
	return p;
}

/* Collect the `count` OP_STR ops that follow into a new NULL-terminated list. */
static char **read_list(long count)
{
	struct op o;
	long i = 0;
	char **list = alloc_items(count + 1, sizeof(char *));
	for (; i < count && next_op(&o); i++)
		list[i] = (char *)o.s[0];
	list[i] = NULL;
	return list;
}

/* Run a hook inside the container: state JSON on stdin, timeout in seconds (0 = none). */
static void run_hook(const struct op *o)
{
	const char *phase = o->n[0] == 1 ? "createContainer" : "startContainer";
	const char *state = hook_state[o->n[0]] ? hook_state[o->n[0]] : "{}";
	int p[2], pidfd = -1, status;
	hook_a = read_list(o->n[2]);
	hook_b = read_list(o->n[3]);
	if (pipe2(p, O_CLOEXEC) < 0)
		fail("pipe for hook", o->s[0], errno);
	pid_t pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
	if (pid < 0)
		fail("fork hook", o->s[0], errno);
	if (pid == 0) {
		dup2(p[0], 0);
		reset_signals();
		execve(o->s[0], hook_a[0] ? hook_a : (char *[]){ (char *)o->s[0], NULL }, hook_b);
		_exit(127);
	}
	close(p[0]);
	size_t len = strlen(state), off = 0;
	while (off < len) {
		ssize_t w = write(p[1], state + off, len - off);
		if (w <= 0)
			break; /* the hook need not read its stdin */
		off += w;
	}
	close(p[1]);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int timeout = o->n[1] > 0 ? (int)o->n[1] * 1000 : -1;
	int r;
	do
		r = poll(&pfd, 1, timeout);
	while (r < 0 && errno == EINTR);
	char *m = hookmsg, *end = hookmsg + sizeof hookmsg;
	m = put(m, end, phase);
	m = put(m, end, " hook ");
	m = put(m, end, o->s[0]);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		m = put(m, end, " timed out after ");
		m = put_int(m, end, o->n[1]);
		put(m, end, "s");
		fail(hookmsg, "", 0);
	}
	waitpid(pid, &status, 0);
	close(pidfd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		m = put(m, end, WIFEXITED(status) ? " exited with status " : " killed by signal ");
		put_int(m, end, WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		fail(hookmsg, "", 0);
	}
}

/* Before pivot: allocate the container's pty from its own devpts, bind the slave onto
 * /dev/console, send the master to --console-socket and make the slave our stdio. */
static void open_pty(const struct op *o)
{
	int master, slave, target, unlock = 0, n = 0;
	char name[64], fdp[64], fdp2[64];
	master = open_in_root("/dev/ptmx", O_RDWR | O_NOCTTY);
	if (master < 0)
		fail("open", "/dev/ptmx", errno);
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		fail("unlock pty", "", errno);
	put_int(put(name, name + sizeof name, "/dev/pts/"), name + sizeof name, n);
	slave = open_in_root(name, O_RDWR | O_NOCTTY);
	if (slave < 0)
		fail("open", name, errno);
	struct stat st;
	if (fstat(slave, &st) == 0)
		pty_rdev = st.st_rdev;
	if (o->n[0] > 0 && o->n[1] > 0) {
		struct winsize ws = { .ws_row = o->n[0], .ws_col = o->n[1] };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (!o->n[2]) {
		make_file("/dev/console");
		target = open_in_root("/dev/console", O_PATH | O_NOFOLLOW);
		if (target < 0)
			fail("open", "/dev/console", errno);
		if (mount(fd_path(slave, fdp), fd_path(target, fdp2), NULL, MS_BIND, NULL) < 0)
			fail("bind pty onto", "/dev/console", errno);
		close(target);
	}
	/* Hand the master to whoever listens on --console-socket (SCM_RIGHTS). */
	int sent = send_fd_on(console_fd, master, name);
	if (sent < 0)
		fail("send pty master to console socket", "", -sent);
	close(master);
	close(console_fd);
	console_fd = -1;
	if (setsid() < 0 && errno != EPERM)
		fail("setsid", "", errno);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail("set controlling terminal", name, errno);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			fail("dup2 pty", name, errno);
	if (slave > 2)
		close(slave);
}

static void set_caps(const struct op *o)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t e = o->n[0], p = o->n[1], i = o->n[2], a = o->n[3];
	data[0].effective = e;
	data[1].effective = e >> 32;
	data[0].permitted = p;
	data[1].permitted = p >> 32;
	data[0].inheritable = i;
	data[1].inheritable = i >> 32;
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capset", "", errno);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (int cap = 0; cap < 64; cap++)
		if ((a >> cap) & 1)
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				fail("raise ambient capability", "", errno);
}

/* As runc does before it changes user: hand stdin/out/err to the process's uid (group kept),
 * unless already its own or /dev/null. The caller made them as root (the shim's pipes, the
 * pty), and a non-root process must be able to reopen them (`echo > /dev/stdout`, nginx's
 * log symlinks, `tty` owned by the user). EINVAL/EPERM (not mapped in a user namespace)
 * are ignored, as runc ignores them. */
static void chown_stdio(uid_t uid)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0 || st.st_uid == uid)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
			continue;
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
			fail("chown stdio to the process user", "", errno);
	}
}

static void set_user(const struct op *o)
{
	chown_stdio((uid_t)o->n[0]);
	gid_t *groups = alloc_items(o->n[2], sizeof(gid_t));
	struct op s;
	long n = 0;
	for (long i = 0; i < o->n[2] && next_op(&s); i++)
		groups[n++] = (gid_t)s.n[0];
	/* Raw syscalls: glibc's wrappers would try to sync threads that do not exist here. */
	if (syscall(SYS_setgroups, n, groups) < 0 && !(errno == EPERM && n == 0))
		fail("setgroups", "", errno);
	/* The pty was opened as root: hand it to the user (uid only: devpts chose the gid, tty),
	 * as runc does, so that a non-root process can use its terminal. Best effort. */
	for (int fd = 0; pty_rdev && fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == pty_rdev && st.st_uid != (uid_t)o->n[0])
			fchown(fd, o->n[0], -1);
	}
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (syscall(SYS_setresgid, o->n[1], o->n[1], o->n[1]) < 0)
		fail("setgid", "", errno);
	if (syscall(SYS_setresuid, o->n[0], o->n[0], o->n[0]) < 0)
		fail("setuid", "", errno);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/* Find the program like execvp would, in the container's PATH; "" when not found. */
static const char *find_program(const char *prog, const char *path)
{
	struct stat st;
	if (strchr(prog, '/'))
		return prog;
	const char *p = path;
	while (p && *p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (len + strlen(prog) + 2 < sizeof progbuf) {
			memcpy(progbuf, p, len);
			if (!len)
				progbuf[len++] = '.';
			progbuf[len] = '/';
			strcpy(progbuf + len + 1, prog);
			if (stat(progbuf, &st) == 0 && S_ISREG(st.st_mode) && access(progbuf, X_OK) == 0)
				return progbuf;
		}
		p = colon ? colon + 1 : NULL;
	}
	return "";
}

/* The process gets stdio (blocking, not close-on-exec: Node's are CLOEXEC and may be
 * non-blocking) and the preserved fds; every other fd is marked close-on-exec. Runs before
 * seccomp is loaded, since a profile may forbid close_range. */
static void fd_hygiene(int preserve)
{
	for (int fd = 0; fd < 3 + preserve; fd++) {
		fcntl(fd, F_SETFD, 0);
		int fl = fcntl(fd, F_GETFL);
		if (fd < 3 && fl >= 0 && (fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (syscall(SYS_close_range, 3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail("close_range", "", errno);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void read_seccomp(const struct op *o)
{
	const char *hex = o->s[0];
	size_t n = o->n[1];
	if (n == 0 || n > sizeof seccomp_prog / sizeof seccomp_prog[0] || strlen(hex) != n * 16)
		fail("seccomp filter: bad length", "", EINVAL);
	unsigned char *out = (unsigned char *)seccomp_prog;
	for (size_t i = 0; i < n * 8; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			fail("seccomp filter: bad hex", "", EINVAL);
		out[i] = hi << 4 | lo;
	}
	seccomp_len = n;
	seccomp_flags = o->n[0];
}

/* Hand the notify fd to the seccomp listener with the state JSON, as runc does: one
 * message, the JSON as data and the fd as SCM_RIGHTS. */
static void send_listener(int notify_fd)
{
	const char *state = listener_state ? listener_state : "{}";
	if (listener_fd < 0)
		fail("seccomp notify fd: no listener connection", "", EBADF);
	int sent = send_fd_on(listener_fd, notify_fd, state);
	if (sent < 0)
		fail("send seccomp notify fd to the listener", "", -sent);
	close(notify_fd);
	close(listener_fd);
	listener_fd = -1;
}

static void load_seccomp(void)
{
	struct sock_fprog prog = { .len = seccomp_len, .filter = seccomp_prog };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, seccomp_flags, &prog);
	if (r < 0)
		fail("load seccomp filter", "", errno);
	seccomp_len = 0;
	if (seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		send_listener((int)r);
}

static void __attribute__((noreturn)) do_exec(const struct op *o)
{
	char fdp[64];
	struct stat st;
	list_a = read_list(o->n[0]);
	list_b = read_list(o->n[1]);
	/* Checked here, at create, as runc does (with Go's exec.LookPath wording). */
	const char *prog = find_program(list_a[0], o->s[0]);
	if (!*prog)
		fail_exec(list_a[0], "executable file not found in $PATH", 0);
	if (stat(prog, &st) < 0) {
		int err = errno;
		char *m = put(pathbuf, pathbuf + sizeof pathbuf, "stat ");
		put(m, pathbuf + sizeof pathbuf, prog);
		fail_exec(list_a[0], pathbuf, err);
	}
	/* LookPath's rule: a regular file with some execute bit; anything else is EACCES. */
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		fail_exec(list_a[0], "", EACCES);
	/* From READY on, container processes may see this one: it holds no host fd but the
	 * exec.fifo (O_PATH) and the container's own procfs. */
	if (host_proc_fd >= 0)
		close(host_proc_fd);
	host_proc_fd = -1;
	send_msg(SYNC_READY, 0, NULL);
	close(sync_fd);
	sync_fd = -1;
	if (!o->n[3]) {
		/* Block until `tsrun start` opens the fifo for reading. It reads "0", then anything
		 * more is an error (a startContainer hook, execve); execve closes the fifo (CLOEXEC),
		 * which tells start that the process runs. Reopened through the procfs fd: the
		 * container's /proc by name may be a fake. */
		char rel[64];
		put_int(put(rel, rel + sizeof rel, "self/fd/"), rel + sizeof rel, fifo_fd);
		int w = proc_fd >= 0 ? openat(proc_fd, rel, O_WRONLY | O_CLOEXEC) : open(fd_path(fifo_fd, fdp), O_WRONLY | O_CLOEXEC);
		if (w < 0)
			fail("open exec fifo", "", errno);
		if (write(w, "0", 1) != 1)
			fail("write exec fifo", "", errno);
		close(fifo_fd);
		report_fd = w;
	}
	reset_signals();
	/* The filter is in force while the startContainer hooks run (runc: a profile that forbids
	 * what a hook does makes `start` fail); without no_new_privs it was loaded earlier. */
	if (seccomp_deferred)
		load_seccomp();
	for (int i = 0; i < n_start_hooks; i++) {
		struct op h;
		plan_p = start_hooks[i];
		next_op(&h);
		run_hook(&h);
	}
	execve(prog, list_a, list_b);
	fail("exec", prog, errno);
}

/* ---------- the two processes ---------- */

static void __attribute__((noreturn)) run_init(void)
{
	struct op o;
	umask(0);
	while (next_op(&o)) {
		switch (o.code) {
		case OP_WAIT_PARENT:
			wait_go();
			break;
		case OP_SET_MOUNT_PROPAGATION:
			if (mount(NULL, "/", NULL, o.n[0], NULL) < 0)
				fail("set propagation of /", "", errno);
			break;
		case OP_BIND_ROOTFS:
			if (mount(o.s[0], o.s[0], "bind", MS_BIND | MS_REC, NULL) < 0)
				fail("bind mount rootfs", o.s[0], errno);
			break;
		case OP_CHROOT_PREP:
			rootfs_path = o.s[0];
			root_fd = open(o.s[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (root_fd < 0 || fchdir(root_fd) < 0)
				fail("open rootfs", o.s[0], errno);
			break;
		case OP_MOUNT:
			do_mount(&o);
			break;
		case OP_MKDIR:
			mkdir_all(o.s[0], o.n[0]);
			break;
		case OP_MOUNT_SETATTR: {
			struct mount_attr attr = { .attr_set = (uint64_t)o.n[0], .attr_clr = (uint64_t)o.n[1] };
			int fd = open_in_root(o.s[0], O_PATH);
			if (fd < 0)
				fail("open mount destination", o.s[0], errno);
			if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
				fail("set recursive mount attributes of", o.s[0], errno);
			close(fd);
			break;
		}
		case OP_MKNOD:
			do_mknod(&o);
			break;
		case OP_SYMLINK:
			do_symlink(&o);
			break;
		case OP_HOOK:
			if (o.n[0] == 2) {
				/* startContainer hooks run after `start`: remember where they are; the
				 * OP_STR ops that follow are skipped by this loop. */
				if (n_start_hooks < MAX_HOOKS)
					start_hooks[n_start_hooks++] = op_start;
			} else {
				run_hook(&o);
			}
			break;
		case OP_PIVOT:
			do_pivot(o.n[0]);
			break;
		case OP_WRITE:
			write_file(o.s[0], o.s[1], o.n[0]);
			break;
		case OP_MASK:
			do_mask(o.s[0]);
			break;
		case OP_READONLY:
			do_readonly(o.s[0]);
			break;
		case OP_REMOUNT_ROOT_RO:
			remount("/", MS_BIND | MS_REMOUNT | MS_RDONLY, "/");
			break;
		case OP_SETHOSTNAME:
			if (sethostname(o.s[0], strlen(o.s[0])) < 0)
				fail("sethostname", o.s[0], errno);
			break;
		case OP_SETDOMAINNAME:
			if (setdomainname(o.s[0], strlen(o.s[0])) < 0)
				fail("setdomainname", o.s[0], errno);
			break;
		case OP_RLIMIT: {
			struct rlimit rl = { (rlim_t)o.n[1], (rlim_t)o.n[2] };
			if (syscall(SYS_prlimit64, 0, (int)o.n[0], &rl, NULL) < 0)
				fail("setrlimit", "", errno);
			break;
		}
		case OP_KEYRING: {
			/* KEYCTL_JOIN_SESSION_KEYRING; ENOSYS/EPERM where keyrings are unavailable is fine. */
			long serial = syscall(SYS_keyctl, 1, o.s[0]);
			if (serial < 0) {
				if (errno != ENOSYS && errno != EPERM && errno != EACCES)
					fail("join session keyring", o.s[0], errno);
				break;
			}
			/* As runc: let the user link the keyring too (perm |= KEY_USR_LINK), read
			 * from KEYCTL_DESCRIBE ("type;uid;gid;perm;name", perm in hex). */
			char d[512];
			long n = syscall(SYS_keyctl, 6, serial, d, sizeof d - 1);
			if (n > 0) {
				d[n < (long)sizeof d ? n : (long)sizeof d - 1] = 0;
				const char *c = d;
				for (int f = 0; f < 3 && *c; c++)
					if (*c == ';')
						f++;
				unsigned long perm = 0;
				for (; *c && *c != ';'; c++)
					perm = perm * 16 + (unsigned long)(*c <= '9' ? *c - '0' : (*c | 0x20) - 'a' + 10);
				if (syscall(SYS_keyctl, 5, serial, perm | 0x080000UL) < 0 && errno != EACCES && errno != EPERM)
					fail("set session keyring permissions", o.s[0], errno);
			}
			break;
		}
		case OP_OPEN_PTY:
			open_pty(&o);
			break;
		case OP_BOUNDING:
			for (int cap = 0; cap < 64; cap++) {
				uint64_t keep = cap < 32 ? ((uint64_t)o.n[0] >> cap) & 1 : ((uint64_t)o.n[1] >> (cap - 32)) & 1;
				if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
					fail("drop bounding capability", "", errno);
			}
			break;
		case OP_USER:
			set_user(&o);
			break;
		case OP_CAPS:
			set_caps(&o);
			break;
		case OP_UMASK:
			umask(o.n[0]);
			break;
		case OP_NO_NEW_PRIVS:
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				fail("set no_new_privs", "", errno);
			break;
		case OP_CLOSE_FDS:
			fd_hygiene(o.n[0]);
			break;
		case OP_SECCOMP:
			read_seccomp(&o);
			seccomp_deferred = o.n[2];
			if (!seccomp_deferred)
				load_seccomp();
			break;
		case OP_PERSONALITY:
			if (personality((unsigned long)o.n[0]) < 0)
				fail("set personality", "", errno);
			break;
		case OP_CHDIR: {
			if (chdir(o.s[0]) < 0)
				fail("chdir to cwd", o.s[0], errno);
			/* A cwd reached through a host fd (/proc/self/fd/N) is outside the root: the
			 * kernel's getcwd then starts with "(unreachable)" instead of "/" (runc CVE-2024-21626). */
			char cwd[4096];
			long n = syscall(SYS_getcwd, cwd, sizeof cwd);
			if (n < 0)
				fail("getcwd after chdir to cwd", o.s[0], errno);
			if (cwd[0] != '/')
				fail("cwd is outside the container root", o.s[0], EPERM);
			break;
		}
		case OP_SETSID:
			if (setsid() < 0 && errno != EPERM)
				fail("setsid", "", errno);
			break;
		case OP_EXEC:
			do_exec(&o);
		case OP_STR:
			break;
		default:
			fail("unknown plan op in init", "", EINVAL);
		}
	}
	fail("launch plan ended without exec", "", EINVAL);
}

/* A close-on-exec unix stream socket connected to path, or (listening) bound there and
 * listening. -errno on failure; -ENAMETOOLONG for a path sun_path cannot hold. */
static int unix_socket_at(const char *path, int listening)
{
	struct sockaddr_un { sa_family_t f; char p[108]; } sa = { AF_UNIX, { 0 } };
	if (strlen(path) >= sizeof sa.p)
		return -ENAMETOOLONG;
	strcpy(sa.p, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int bad = listening ? bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0
			    : connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0;
	if (bad) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Ops stage 1 runs before joining namespaces: opened as host root, inherited by the init. */
static int early_op(const struct op *o)
{
	switch (o->code) {
	case OP_IDMAP_USERNS:
		if (o->n[0] < 0 || o->n[0] >= (int64_t)(sizeof userns_fds / sizeof userns_fds[0]))
			fail("too many id-mapped mounts", "", E2BIG);
		userns_fds[o->n[0]] = make_userns(o->s[0], o->s[1]);
		return 1;
	case OP_OPEN_FIFO:
		fifo_fd = open(o->s[0], O_PATH | O_CLOEXEC);
		if (fifo_fd < 0)
			fail("open exec fifo", o->s[0], errno);
		return 1;
	case OP_SECCOMP_LISTENER:
		if ((listener_fd = unix_socket_at(o->s[0], 0)) < 0)
			fail("connect to seccomp listener", o->s[0], -listener_fd);
		return 1;
	case OP_CONSOLE_CONNECT:
		if ((console_fd = unix_socket_at(o->s[0], 0)) < 0)
			fail("connect to console socket", o->s[0], -console_fd);
		return 1;
	}
	return 0;
}

/* A new network namespace has only "lo", and it is down: bring it up, as runc does
 * (127.0.0.1 is what services in a --network none container talk over). */
static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket to bring up loopback", "", errno);
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		fail("get flags of", "lo", errno);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		fail("bring up", "lo", errno);
	close(fd);
}

/* Namespace files are all opened first, then joined in order: once the mount namespace is
 * joined, /proc/<pid>/ns paths would resolve in the container's /proc. */
static struct { int fd, type; const char *path; } ns_join[16];
static int n_ns_join;

static void join_namespaces(void)
{
	for (int i = 0; i < n_ns_join; i++) {
		if (setns(ns_join[i].fd, ns_join[i].type) < 0)
			fail("join namespace", ns_join[i].path, errno);
		close(ns_join[i].fd);
	}
	n_ns_join = 0;
}

static void __attribute__((noreturn, unused)) run_stage1(void)
{
	struct op o;
	struct statfs sf;
	wait_go(); /* the parent has put us in the container's cgroups */
	/* The host's procfs, before any namespace is joined: /proc/self writes of processes
	 * that mount no procfs of their own (exec) resolve beneath it (open_proc). */
	host_proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_proc_fd >= 0 && (fstatfs(host_proc_fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)) {
		close(host_proc_fd);
		host_proc_fd = -1;
	}
	while (next_op(&o)) {
		if (early_op(&o))
			continue;
		if (o.code == OP_SETNS) {
			int fd = open(o.s[0], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				fail("open namespace", o.s[0], errno);
			if (n_ns_join == (int)(sizeof ns_join / sizeof ns_join[0]))
				fail("too many namespaces to join", "", E2BIG);
			ns_join[n_ns_join].fd = fd;
			ns_join[n_ns_join].type = o.n[0];
			ns_join[n_ns_join++].path = o.s[0];
			continue;
		}
		join_namespaces();
		switch (o.code) {
		case OP_UNSHARE_USER:
			if (unshare(CLONE_NEWUSER) < 0)
				fail("create user namespace", "", errno);
			/* Rootless: a non-dumpable process's /proc files belong to root, so neither the
			 * user's tsrun nor newuidmap (it checks the target's owner) could write the
			 * maps. Dumpable only while the parent writes them. */
			int rootless = getuid() != 0;
			if (rootless)
				prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			send_msg(SYNC_USERMAP, getpid(), NULL);
			wait_go();
			if (rootless)
				prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
			if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
				fail("become root in the user namespace", "", errno);
			break;
		case OP_UNSHARE:
			if (unshare(o.n[0]) < 0)
				fail("create namespaces", "", errno);
			if (o.n[0] & CLONE_NEWNET)
				loopback_up();
			break;
		case OP_TIMENS_OFFSETS:
			write_file("/proc/self/timens_offsets", o.s[0], 0);
			break;
		case OP_CLONE_INIT: {
			pid_t pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
			if (pid < 0)
				fail("clone container init", "", errno);
			if (pid == 0)
				run_init();
			send_msg(SYNC_INIT_PID, pid, NULL);
			_exit(0);
		}
		default:
			fail("unknown plan op in stage 1", "", EINVAL);
		}
	}
	fail("launch plan has no init", "", EINVAL);
}

/* The fds the process keeps: 3 + the plan's OP_CLOSE_FDS count (stdio + --preserve-fds). */
static int plan_kept_fds(void)
{
	struct op o;
	const uint8_t *saved = plan_p;
	int kept = 3;
	while (next_op(&o))
		if (o.code == OP_CLOSE_FDS)
			kept = 3 + o.n[0];
	plan_p = saved;
	return kept;
}

/* ---------- the launcher: this file again, as a static executable in a sealed memfd ----------
 *
 * Stage 1 and the init must never be copies of tsrun: a container process with
 * CAP_SYS_PTRACE (or sharing their pid namespace) could open /proc/<pid>/exe, keep an
 * O_PATH fd, and write the tsrun binary once nothing runs it (CVE-2019-5736); being
 * non-dumpable does not stop CAP_SYS_PTRACE. So the forked child at once execs the
 * launcher, a static build of this file (-DTSRUN_LAUNCHER, main() below) embedded in the
 * shim library, from a memfd sealed against every change. /proc/<pid>/exe of every process
 * a container can see is that memfd: nothing to write, and nothing that outlives the
 * command. It also frees the created init from the Node image (RSS ~0.5 MiB, not ~3.5). */
#if !defined(TSRUN_LAUNCHER) && !defined(TSRUN_LAUNCHER_BLOB)
#error "the shim library embeds the launcher: build with -DTSRUN_LAUNCHER_BLOB=PATH (scripts/build.mjs)"
#endif
#ifdef TSRUN_LAUNCHER_BLOB
__asm__(".section .rodata\n.balign 16\n.hidden tsrun_launcher_start\n.globl tsrun_launcher_start\n"
	"tsrun_launcher_start:\n.incbin \"" TSRUN_LAUNCHER_BLOB "\"\n"
	".hidden tsrun_launcher_end\n.globl tsrun_launcher_end\ntsrun_launcher_end:\n.previous\n");
extern const unsigned char tsrun_launcher_start[], tsrun_launcher_end[];
#endif

static int launcher_fd = -1; /* the sealed memfd, made once per tsrun process */

/* A close-on-exec memfd holding data, sealed against every change (write, resize, more
 * seals): what the launcher runs and the plan it reads are fixed once made. -errno on failure. */
static int sealed_memfd(const char *name, const void *data, size_t len)
{
	const unsigned char *p = data;
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, p + off, len - off);
		if (w <= 0) {
			int err = w < 0 ? errno : EIO;
			close(fd);
			return -err;
		}
		off += w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int sealed_launcher(void)
{
#ifdef TSRUN_LAUNCHER_BLOB
	return sealed_memfd("tsrun-launcher", tsrun_launcher_start, tsrun_launcher_end - tsrun_launcher_start);
#else
	return -ENOSYS; /* the launcher itself never launches */
#endif
}

/* In the forked copy of tsrun: keep stdio, the preserved fds (tsrun checked they are the
 * caller's; node marks even those close-on-exec at start-up), the sync socket and the plan;
 * every other fd (a host cgroup.procs, node's sockets and event loop) is made close-on-exec
 * and goes with the exec, before this process can be seen by any container. */
static void __attribute__((noreturn)) exec_launcher(int plan_fd)
{
	char a1[24], a2[24];
	int kept = plan_kept_fds();
	for (int fd = 0; fd < kept; fd++)
		fcntl(fd, F_SETFD, 0);
	if (syscall(SYS_close_range, kept, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail("close_range", "", errno);
	if (fcntl(sync_fd, F_SETFD, 0) < 0 || fcntl(plan_fd, F_SETFD, 0) < 0)
		fail("keep launch fds", "", errno);
	put_int(a1, a1 + sizeof a1, sync_fd);
	put_int(a2, a2 + sizeof a2, plan_fd);
	char *argv[] = { "tsrun-launcher", a1, a2, NULL }, *envp[] = { NULL };
	syscall(SYS_execveat, launcher_fd, "", argv, envp, AT_EMPTY_PATH);
	fail("exec the sealed launcher", "", errno);
}

#ifdef TSRUN_LAUNCHER
/* The launcher's entry: tsrun-launcher SYNC_FD PLAN_FD. Reads the plan, runs stage 1. */
static int parse_fd(const char *s)
{
	int v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

int main(int argc, char **argv)
{
	struct stat st;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NAME, "tsrun", 0, 0, 0);
	if (argc != 3)
		return 2;
	sync_fd = parse_fd(argv[1]);
	int plan_fd = parse_fd(argv[2]);
	if (fstat(plan_fd, &st) < 0)
		fail("read launch plan", "", errno);
	void *p = mmap(NULL, st.st_size ? st.st_size : 1, PROT_READ, MAP_PRIVATE, plan_fd, 0);
	if (p == MAP_FAILED)
		fail("map launch plan", "", errno);
	close(plan_fd);
	plan_p = p;
	plan_end = plan_p + st.st_size;
	run_stage1();
}
#endif

/* ---------- the API Node calls (through koffi) ---------- */

/* clone3's argument block up to `cgroup` (CLONE_ARGS_SIZE_VER2, kernel ABI); declared here
 * because <linux/sched.h> clashes with glibc's <sched.h>. */
struct tsrun_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};
#define TSRUN_CLONE_INTO_CGROUP 0x200000000ULL

/* What the child of tsrun_spawn needs; it lives on the parent's stack, which the parent
 * does not use until the child has exec'd (CLONE_VFORK). */
struct spawn_arg {
	int plan_fd, sync;
	const uint8_t *plan;
	size_t len;
	sigset_t mask;
};

/* The child's stack: it runs in tsrun's memory (CLONE_VM) until execveat, and the parent
 * thread waits meanwhile, so one static stack serves every spawn of this process. */
static char spawn_stack[64 * 1024] __attribute__((aligned(16)));

/* The child of tsrun_spawn, on spawn_stack in tsrun's memory until the execveat. Nothing
 * of tsrun's may run here: every caught signal goes back to its default (the child has a
 * handler table of its own) before the caller's mask is restored, as posix_spawn does.
 * No PR_SET_DUMPABLE: that flag is the memory's, i.e. tsrun's own; the window before the
 * exec is on the host side, before any namespace, as visible as tsrun itself. */
static int spawn_child(void *p)
{
	struct spawn_arg *a = p;
	for (int sig = 1; sig < _NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(sig, &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &a->mask, NULL);
	sync_fd = a->sync;
	plan_p = a->plan;
	plan_end = a->plan + a->len;
	exec_launcher(a->plan_fd);
}

#if defined(__x86_64__)
/* clone3 whose child runs fn(arg) on ca->stack and exits with its result (glibc has no
 * clone3 wrapper; its clone() cannot pass CLONE_INTO_CGROUP). Registers survive the
 * syscall in both processes except rax, rcx and r11. */
static long clone3_run(struct tsrun_clone_args *ca, int (*fn)(void *), void *arg)
{
	long ret;
	register void *r8 __asm__("r8") = (void *)fn;
	register void *r9 __asm__("r9") = arg;
	__asm__ volatile(
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"xor %%ebp, %%ebp\n\t"
		"mov %%r9, %%rdi\n\t"
		"call *%%r8\n\t"
		"mov %%eax, %%edi\n\t"
		"mov $60, %%eax\n\t" /* SYS_exit */
		"syscall\n\t"
		"hlt\n"
		"1:"
		: "=a"(ret)
		: "0"((long)SYS_clone3), "D"(ca), "S"(sizeof *ca), "r"(r8), "r"(r9)
		: "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#endif

/* Start stage 1 with the plan. Returns its pid, and the parent's end of the sync socket in
 * *sync_out; -errno on failure. The child shares tsrun's memory until it execs the launcher
 * and the calling thread waits for that (CLONE_VM | CLONE_VFORK, as posix_spawn): a fork
 * of the whole runtime would copy its page tables, tear them down again in the exec and
 * make tsrun take a copy-on-write fault for every page it writes afterwards (measured:
 * ~2-4 ms of a create). With cgroup_fd >= 0 (a cgroup2 directory) stage 1 is created
 * inside that cgroup (clone3 CLONE_INTO_CGROUP): no migration afterwards, so none of the
 * RCU grace period a cgroup.procs write waits for. If the kernel refuses (too old,
 * permissions, a threaded or domain-invalid cgroup) it is started without and *joined is
 * 0: the caller then writes cgroup.procs as usual. */
int tsrun_spawn(const uint8_t *plan, size_t len, int cgroup_fd, int *sync_out, int *joined)
{
	int sv[2];
	*joined = 0;
	if (launcher_fd < 0 && (launcher_fd = sealed_launcher()) < 0)
		return launcher_fd;
	int plan_fd = sealed_memfd("tsrun-plan", plan, len);
	if (plan_fd < 0)
		return plan_fd;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		int err = errno;
		close(plan_fd);
		return -err;
	}
	struct spawn_arg arg = { .plan_fd = plan_fd, .sync = sv[1], .plan = plan, .len = len };
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &arg.mask);
	pid_t pid = -1;
#if defined(__x86_64__)
	if (cgroup_fd >= 0) {
		struct tsrun_clone_args ca;
		memset(&ca, 0, sizeof ca);
		ca.flags = CLONE_VM | CLONE_VFORK | TSRUN_CLONE_INTO_CGROUP;
		ca.exit_signal = SIGCHLD;
		ca.stack = (uint64_t)(uintptr_t)spawn_stack;
		ca.stack_size = sizeof spawn_stack;
		ca.cgroup = (uint64_t)cgroup_fd;
		pid = clone3_run(&ca, spawn_child, &arg);
		if (pid > 0)
			*joined = 1;
	}
#endif
	if (pid < 0)
		pid = clone(spawn_child, spawn_stack + sizeof spawn_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &arg);
	int err = errno;
	/* The child set these in the memory it shared with us; they are stage 1's, not ours. */
	sync_fd = -1;
	plan_p = plan_end = NULL;
	pthread_sigmask(SIG_SETMASK, &arg.mask, NULL);
	close(plan_fd);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -err;
	}
	*sync_out = sv[0];
	return pid;
}

int tsrun_send(int fd, int type, const uint8_t *data, size_t len)
{
	char buf[sizeof(struct sync_msg) + sizeof payload];
	struct sync_msg m = { type, 0 };
	if (len > sizeof payload)
		return -EMSGSIZE;
	memcpy(buf, &m, sizeof m);
	if (len)
		memcpy(buf + sizeof m, data, len);
	return send(fd, buf, sizeof m + len, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Receive one message: returns payload length (>= 0), -ETIMEDOUT, 0 with *type = 0 on EOF. */
int tsrun_recv(int fd, int timeout_ms, int *type, int *value, char *text, size_t textlen)
{
	char buf[sizeof(struct sync_msg) + sizeof errmsg];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sync_msg m;
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0)
		return -errno;
	if (n < (ssize_t)sizeof m) {
		*type = 0;
		return 0;
	}
	memcpy(&m, buf, sizeof m);
	*type = m.type;
	*value = m.value;
	size_t len = n - sizeof m;
	if (len >= textlen)
		len = textlen - 1;
	memcpy(text, buf + sizeof m, len);
	text[len] = 0;
	return len;
}

/* waitpid that reports the raw status; -errno on failure. */
int tsrun_wait(int pid, int *status)
{
	int r;
	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* ---------- a foreground `run` as child subreaper ---------- */

/* Make this process the reaper of the orphans of its descendants (runc's run does so unless
 * --no-subreaper): a container without its own pid namespace leaves them to us. */
int tsrun_set_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* Reap every exited child but keep_pid, whose status the caller's waitpid must get: peek
 * with WNOWAIT and reap only what is not keep_pid. Stops at keep_pid (it is the first
 * waitable child; the run is ending) or when none has exited. Returns how many it reaped. */
int tsrun_reap_others(int keep_pid)
{
	int n = 0;
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return errno == ECHILD ? n : -errno;
		}
		if (si.si_pid == 0 || si.si_pid == keep_pid)
			return n;
		if (waitpid(si.si_pid, NULL, WNOHANG) <= 0)
			return n; /* reaped elsewhere meanwhile: look again next time */
		n++;
	}
}

/* ---------- the console of a foreground `run` with a terminal ---------- */

/* Listen on a unix socket for the init's pty master (it connects during create). */
int tsrun_console_listen(const char *path)
{
	return unix_socket_at(path, 1);
}

/* Accept the init's connection and take the pty master it sends (SCM_RIGHTS). */
int tsrun_console_recv(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -errno;
	char name[128], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
	int err = errno;
	close(c);
	if (n < 0)
		return -err;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

int tsrun_set_winsize(int fd, int rows, int cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* ---------- --pidfd-socket ---------- */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Send fd to whoever listens on the unix socket at path (SCM_RIGHTS, data as the message).
 * Called by the runtime, not in a child. */
int tsrun_send_fd(const char *path, int fd, const char *data)
{
	int s = unix_socket_at(path, 0);
	if (s < 0)
		return s;
	int r = send_fd_on(s, fd, data);
	close(s);
	return r;
}

/* Send a pidfd of pid to the unix socket at path, with "pidfd" as the data (as runc 1.2). */
int tsrun_send_pidfd(const char *path, int pid)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return -errno;
	int r = tsrun_send_fd(path, pfd, "pidfd");
	close(pfd);
	return r;
}

/* ---------- restore: mountpoints ---------- */

/* Create missing mountpoints beneath rootfs, as create would have: list holds entries
 * "d<path>" (a directory) or "f<path>" (a file), each NUL-terminated, an empty one last.
 * Resolution stays inside rootfs (RESOLVE_IN_ROOT, symlinks followed as the container would).
 * Done in a child, whose fail() reports on a pipe: the same code create uses, no exit here.
 * Returns 0, or -1 with the message in err. */
int tsrun_make_mountpoints(const char *rootfs, const char *list, char *err, int errlen)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			fail("open rootfs", rootfs, errno);
		for (const char *e = list; *e; e += strlen(e) + 1) {
			if (e[0] == 'd')
				mkdir_all(e + 1, 0755);
			else
				make_file(e + 1);
		}
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], err, errlen - 1);
	close(p[0]);
	err[n > 0 ? n : 0] = 0;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (n <= 0 && errlen > 22)
		memcpy(err, "mountpoint helper died", 23);
	return -1;
}

/* ---------- restore of a container with a terminal ---------- */

/* A new pty pair in this process's devpts: returns the master, the slave in *slave (both
 * close-on-exec, the slave without becoming our controlling terminal) and its path in name.
 * CRIU gets the slave in place of the checkpointed one; the master goes to --console-socket. */
int tsrun_open_pty(int *slave, char *name, int namelen)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	int unlock = 0, n = -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		goto fail;
	int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	char buf[32] = "/dev/pts/";
	put_int(buf + 9, buf + sizeof buf, n);
	if ((int)strlen(buf) >= namelen) {
		close(fd);
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(name, buf, strlen(buf) + 1);
	*slave = fd;
	return master;
fail:;
	int err = errno;
	close(master);
	return -err;
}
