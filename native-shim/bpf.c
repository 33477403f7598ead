// Load a BPF_PROG_TYPE_CGROUP_DEVICE program (built by src/linux/cgroups/devices-bpf.ts)
// and make it the device filter of a cgroup2 directory. Runs in the Node process itself,
// not in a forked child, so libc (malloc, snprintf) is fine here.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void say(char *log, size_t loglen, const char *what) {
    if (loglen) snprintf(log, loglen, "%s", what);
}

// Returns a program fd or -errno. The verifier log is only asked for on a retry after a
// failure: a log buffer makes the kernel do more work, and a too small one fails the load.
static int prog_load(const uint8_t *insns, size_t count, char *log, size_t loglen) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uintptr_t)insns;
    a.insn_cnt = (uint32_t)count;
    // Our program calls no helpers, so no GPL-only ones: runc and crun say "Apache" too.
    a.license = (uintptr_t)"Apache";
    memcpy(a.prog_name, "tsrun_devices", sizeof("tsrun_devices"));
    int fd = sys_bpf(BPF_PROG_LOAD, &a);
    if (fd < 0 && errno == EPERM) {
        // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK, often 64 KiB (runc raises it too).
        struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
        if (setrlimit(RLIMIT_MEMLOCK, &inf) == 0) fd = sys_bpf(BPF_PROG_LOAD, &a);
    }
    if (fd >= 0) return fd;
    int err = errno;
    if (err == EACCES || err == EINVAL) {
        size_t pre = strlen("BPF_PROG_LOAD: ");
        if (loglen > pre + 1) {
            say(log, loglen, "BPF_PROG_LOAD: ");
            a.log_level = 1;
            a.log_buf = (uintptr_t)(log + pre);
            a.log_size = (uint32_t)(loglen - pre);
            fd = sys_bpf(BPF_PROG_LOAD, &a);
            if (fd >= 0) return fd; // passed with a log: nothing to report
            return -err;
        }
    }
    say(log, loglen, "BPF_PROG_LOAD");
    return -err;
}

// Ids of the device programs attached to the cgroup itself (not inherited); *out is malloc'ed.
static int query(int cg, uint32_t **out, uint32_t *n, uint32_t *flags) {
    uint32_t cap = 16;
    for (;;) {
        uint32_t *ids = calloc(cap, sizeof(*ids));
        if (!ids) return -ENOMEM;
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.query.target_fd = (uint32_t)cg;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uintptr_t)ids;
        a.query.prog_cnt = cap;
        if (sys_bpf(BPF_PROG_QUERY, &a) == 0) {
            *out = ids;
            *n = a.query.prog_cnt;
            *flags = a.query.attach_flags;
            return 0;
        }
        int err = errno;
        free(ids);
        if (err != ENOSPC || cap >= 65536) return -err;
        cap = a.query.prog_cnt > cap ? a.query.prog_cnt : cap * 2;
    }
}

static int attach(int cg, int prog, int replace_fd) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)cg;
    a.attach_bpf_fd = (uint32_t)prog;
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    if (replace_fd >= 0) {
        a.attach_flags |= BPF_F_REPLACE;
        a.replace_bpf_fd = (uint32_t)replace_fd;
    }
    return sys_bpf(BPF_PROG_ATTACH, &a) == 0 ? 0 : -errno;
}

static int detach(int cg, int prog) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)cg;
    a.attach_bpf_fd = (uint32_t)prog;
    a.attach_type = BPF_CGROUP_DEVICE;
    return sys_bpf(BPF_PROG_DETACH, &a) == 0 ? 0 : -errno;
}

static int prog_fd_by_id(uint32_t id) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_id = id;
    int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
    return fd >= 0 ? fd : -errno;
}

// insns: count struct bpf_insn. Returns 0, or -errno with "<step>[: verifier log]" in log.
int tsrun_attach_device_prog(const uint8_t *insns, size_t count, const char *cgroup_dir, char *log, size_t loglen) {
    if (loglen) log[0] = '\0';
    int cg = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) {
        int err = errno;
        say(log, loglen, "open");
        return -err;
    }
    uint32_t *ids = NULL, n = 0, flags = 0;
    int old[64], prog = -1;
    size_t nold = 0, ndetach = 0;
    int rc = query(cg, &ids, &n, &flags);
    if (rc < 0) {
        say(log, loglen, "BPF_PROG_QUERY");
        close(cg);
        return rc;
    }
    if (n && !(flags & BPF_F_ALLOW_MULTI)) {
        // Someone attached a single exclusive program: ALLOW_MULTI on top would fail with EPERM.
        say(log, loglen, "BPF_PROG_ATTACH: a device program is attached without BPF_F_ALLOW_MULTI");
        rc = -EPERM;
        goto out;
    }
    for (uint32_t i = 0; i < n && nold < sizeof(old) / sizeof(old[0]); i++) {
        int fd = prog_fd_by_id(ids[i]);
        if (fd == -ENOENT) continue; // detached meanwhile
        if (fd < 0) {
            say(log, loglen, "BPF_PROG_GET_FD_BY_ID");
            rc = fd;
            goto out;
        }
        old[nold++] = fd;
    }
    if (nold < n && n > sizeof(old) / sizeof(old[0])) {
        say(log, loglen, "BPF_PROG_QUERY: too many device programs attached");
        rc = -E2BIG;
        goto out;
    }
    prog = prog_load(insns, count, log, loglen);
    if (prog < 0) {
        rc = prog;
        goto out;
    }
    // One old program (the usual update): swap it atomically (BPF_F_REPLACE, Linux 5.6+).
    // Otherwise, or where that fails (older kernels), attach first and then detach the old ones, so
    // the cgroup is never without a filter; meanwhile both run and both must allow.
    rc = nold == 1 ? attach(cg, prog, old[0]) : -EINVAL;
    if (rc < 0) {
        rc = attach(cg, prog, -1);
        if (rc < 0) say(log, loglen, "BPF_PROG_ATTACH");
        else ndetach = nold;
    }
    // The attachment holds its own reference to the program.
    close(prog);
    for (size_t i = 0; i < ndetach; i++) {
        int d = detach(cg, old[i]);
        if (d < 0 && d != -ENOENT) {
            say(log, loglen, "BPF_PROG_DETACH of an old device program");
            rc = d;
            break;
        }
    }
out:
    for (size_t i = 0; i < nold; i++) close(old[i]);
    free(ids);
    close(cg);
    return rc;
}
