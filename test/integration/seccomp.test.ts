// compileSeccomp against the real kernel, and against runc with the same profile.
// A small C helper (compiled here, statically) loads a filter file with PR_SET_NO_NEW_PRIVS +
// seccomp(SECCOMP_SET_MODE_FILTER) and then either execs a command or makes one raw syscall
// ("probe"), exiting with its errno. Inside a runc container the same helper runs with "-" (no
// filter of its own: runc loaded libseccomp's) so both sides report outcomes the same way.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSeccomp } from '../../src/linux/seccomp';
import { syscallTable } from '../../src/linux/syscalls-x86_64';

const NR = syscallTable('x86_64');

const HELPER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* i386 syscall from 64-bit code: the kernel reports AUDIT_ARCH_I386 to seccomp. */
static long int80(long nr, long a, long b, long c) {
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static void die(const char *what) { perror(what); exit(120); }

/* usage: helper FILTER|- FLAGS exec PATH ARGS... | probe NR A0..A5 | probe32 NR A0 A1 A2 */
int main(int argc, char **argv) {
	if (argc < 4) { fprintf(stderr, "usage\n"); return 121; }
	if (argv[1][0] != '-') {
		static unsigned char buf[65536];
		int fd = open(argv[1], O_RDONLY);
		if (fd < 0) die("open filter");
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0 || n % 8) die("read filter");
		close(fd);
		struct sock_fprog prog = { .len = (unsigned short)(n / 8), .filter = (struct sock_filter *)buf };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("no_new_privs");
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, strtoul(argv[2], 0, 0), &prog)) die("seccomp");
	}
	unsigned long a[7] = { 0 };
	for (int i = 0; i < 7 && 4 + i < argc; i++) a[i] = strtoull(argv[4 + i], 0, 0);
	if (argv[3][0] == 'e') {
		execv(argv[4], argv + 4);
		die("execv");
	}
	long r;
	if (argv[3][5] == '3') {
		r = int80(a[0], a[1], a[2], a[3]);
		syscall(SYS_exit_group, r < 0 && r > -4096 ? -r : 0);
	}
	r = syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
	syscall(SYS_exit_group, r < 0 ? errno : 0);
	return 122;
}
`;

type Profile = Record<string, unknown>;
interface Outcome { code: number; stdout: string; stderr: string }

const isRoot = process.getuid?.() === 0;
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const hasRunc = spawnSync('runc', ['--version']).status === 0;
const skip = process.platform !== 'linux' || process.arch !== 'x64' || !hasGcc;
if (skip) console.warn('[seccomp] integration tests skipped: need Linux x86_64 and gcc');

let tmp = '';
let helper = '';
let int80Works = false;
const runcRoot = () => path.join(tmp, 'runc-root');

beforeAll(() => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seccomp-'));
  fs.writeFileSync(path.join(tmp, 'helper.c'), HELPER_C);
  helper = path.join(tmp, 'helper');
  const cc = spawnSync('gcc', ['-O2', '-static', '-o', helper, path.join(tmp, 'helper.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
  // ia32 emulation can be compiled out or disabled (ia32_emulation=0): then i386 probes are skipped.
  int80Works = spawnSync(helper, ['-', '0', 'probe32', '20']).status === 0;
});

afterAll(() => {
  if (!tmp) return;
  for (const id of fs.existsSync(runcRoot()) ? fs.readdirSync(runcRoot()) : []) spawnSync('runc', ['--root', runcRoot(), 'delete', '-f', id]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
const exitCode = (r: ReturnType<typeof spawnSync>) => r.status ?? 128 + (os.constants.signals[r.signal as NodeJS.Signals] ?? 0);

/** Run the helper on the host under our compiled filter. */
function ours(profile: Profile, cmd: string[]): Outcome {
  const c = compileSeccomp(profile)!;
  const file = path.join(tmp, `filter-${n++}.bpf`);
  fs.writeFileSync(file, c.filter);
  const r = spawnSync(helper, [file, String(c.flags), ...cmd], { encoding: 'utf8', timeout: 10_000 });
  return { code: exitCode(r), stdout: r.stdout, stderr: r.stderr };
}

/** Run the helper in a runc busybox container whose config carries the same profile. */
async function viaRunc(profile: Profile, cmd: string[]): Promise<Outcome> {
  // scripts/mkbundle.mjs is ESM; a computed URL keeps tsc (commonjs) from rewriting the import to require().
  const url = pathToFileURL(path.join(__dirname, '../../scripts/mkbundle.mjs')).href;
  const { makeBundle } = (await import(url)) as { makeBundle: (dir: string, o: { args: string[]; mutate: (c: never) => void }) => string };
  const dir = path.join(tmp, `bundle-${n++}`);
  makeBundle(dir, {
    args: ['/helper', '-', '0', ...cmd],
    mutate: (c: { root: { readonly: boolean }; linux: Record<string, unknown> }) => {
      c.root.readonly = false;
      c.linux.seccomp = profile;
    },
  });
  fs.copyFileSync(helper, path.join(dir, 'rootfs/helper'));
  fs.chmodSync(path.join(dir, 'rootfs/helper'), 0o755);
  const r = spawnSync('runc', ['--root', runcRoot(), 'run', '--bundle', dir, `tsrun-seccomp-${process.pid}-${n}`], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: exitCode(r), stdout: r.stdout, stderr: r.stderr };
}

// What a static helper, busybox sh and runc's Go init (between loading the filter and execve) need.
const BASE_ALLOW = ['arch_prctl', 'brk', 'clone', 'close', 'dup2', 'execve', 'exit', 'exit_group', 'fcntl', 'fstat', 'futex',
  'getpid', 'getppid', 'getrandom', 'getuid', 'madvise', 'mmap', 'mprotect', 'munmap', 'nanosleep', 'newfstatat', 'openat',
  'pipe2', 'prctl', 'prlimit64', 'read', 'readlink', 'rseq', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'sched_yield',
  'sendfile', 'set_robust_list', 'set_tid_address', 'sigaltstack', 'tgkill', 'gettid', 'uname', 'wait4', 'write', 'epoll_pwait',
  'epoll_ctl', 'fchdir', 'statfs', 'fstatfs', 'getdents64', 'lseek', 'getcwd'];
const allowList = (extra: Profile = {}): Profile => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [{ names: BASE_ALLOW.filter((x) => x !== 'getcwd'), action: 'SCMP_ACT_ALLOW' }],
  ...extra,
});

const DENY_MKDIR: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
const SOCKET_INET: Profile = {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }],
};
// getppid ignores its arguments, but seccomp sees the registers: a safe probe for comparisons.
const ARGS64: Profile = {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [
    { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 33, args: [{ index: 0, value: 0x100000000, op: 'SCMP_CMP_GT' }] },
    { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 34, args: [{ index: 1, value: 0xff00000000, valueTwo: 0x1200000000, op: 'SCMP_CMP_MASKED_EQ' }, { index: 2, value: 5, op: 'SCMP_CMP_LT' }] },
    { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 35, args: [{ index: 3, value: 7, op: 'SCMP_CMP_EQ' }, { index: 3, value: 0xffffffffffff, op: 'SCMP_CMP_EQ' }] },
  ],
};
const ARCHES: Profile = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 33 }],
};
// Overlapping rules for one syscall: where libseccomp's rule merging is observable.
const gp = (errnoRet: number, args?: Profile[]) => ({ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet, ...(args && { args }) });
const UNCOND_LAST: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [gp(33, [{ index: 0, value: 5, op: 'SCMP_CMP_EQ' }]), gp(34)] };
const UNCOND_FIRST: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [gp(34), gp(33, [{ index: 0, value: 5, op: 'SCMP_CMP_EQ' }])] };
const OVERLAP: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [gp(33, [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }]), gp(34, [{ index: 0, value: 2, op: 'SCMP_CMP_GT' }])] };
const OVERLAP2: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [gp(33, [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }]), gp(34, [{ index: 1, value: 2, op: 'SCMP_CMP_GT' }])] };
const OVERLAP_REV: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [gp(34, [{ index: 0, value: 2, op: 'SCMP_CMP_GT' }]), gp(33, [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }])] };
const OVERLAP2_REV: Profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [gp(34, [{ index: 1, value: 2, op: 'SCMP_CMP_GT' }]), gp(33, [{ index: 0, value: 1, op: 'SCMP_CMP_GT' }])] };
const X32 = (nr: number) => String(0x40000000 + nr);

/** The shape of Docker's default profile: a large allow-list plus conditional rules (built here). */
function dockerLike(): Profile {
  const deny = new Set(['acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'delete_module', 'finit_module', 'init_module',
    'ioperm', 'iopl', 'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'mount', 'move_pages', 'open_by_handle_at',
    'perf_event_open', 'personality', 'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'quotactl', 'reboot',
    'request_key', 'setns', 'settimeofday', 'swapon', 'swapoff', 'umount2', 'unshare', 'userfaultfd', 'clone', 'clone3',
    'fsconfig', 'fsmount', 'fsopen', 'open_tree', 'move_mount', 'syslog', 'chroot']);
  const names = Object.keys(NR).filter((x) => !deny.has(x));
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names, action: 'SCMP_ACT_ALLOW' },
      ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] })),
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  };
}

const SIGSYS = 128 + 31;
// runc: where libseccomp's outcome differs from ours, the outcome runc gives (asserted, so a change shows).
// Only overlapping conditional rules with different actions differ: we take the first in config
// order; libseccomp's decision tree was seen to try the larger GT datum and the higher argument
// index first, whatever the order.
type Case = { name: string; profile: Profile; cmd: string[]; code: number | number[]; out?: RegExp; i386?: boolean; runc?: number };
const cases: Case[] = [
  { name: 'mkdir denied: busybox mkdir fails with EPERM', profile: DENY_MKDIR, cmd: ['exec', '/bin/busybox', 'mkdir', '/tmp/seccomp-d'], code: 1, out: /Operation not permitted/ },
  { name: 'mkdir denied: busybox true still runs', profile: DENY_MKDIR, cmd: ['exec', '/bin/busybox', 'true'], code: 0 },
  { name: 'socket(AF_INET) -> EACCES', profile: SOCKET_INET, cmd: ['probe', String(NR.socket), '2', '1', '0'], code: 13 },
  { name: 'socket(AF_UNIX) allowed', profile: SOCKET_INET, cmd: ['probe', String(NR.socket), '1', '1', '0'], code: 0 },
  { name: 'socket(AF_INET | 1<<32): 64-bit compare does not match', profile: SOCKET_INET, cmd: ['probe', String(NR.socket), String(2 + 2 ** 32), '1', '0'], code: [0, 97] },
  { name: 'GT 2^32: 2^32+1 matches', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0x100000001'], code: 33 },
  { name: 'GT 2^32: 2^32 does not', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0x100000000'], code: 0 },
  { name: 'GT 2^32: 0xffffffff does not', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0xffffffff'], code: 0 },
  { name: 'MASKED_EQ and LT both hold', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0', '0x12abcdef01', '4'], code: 34 },
  { name: 'MASKED_EQ holds, LT fails', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0', '0x12abcdef01', '5'], code: 0 },
  { name: 'MASKED_EQ fails', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0', '0x13abcdef01', '4'], code: 0 },
  { name: 'same index twice is OR (first)', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0', '0', '9', '7'], code: 35 },
  { name: 'same index twice is OR (second, 48-bit)', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0', '0', '9', '0xffffffffffff'], code: 35 },
  { name: 'same index twice is OR (neither)', profile: ARGS64, cmd: ['probe', String(NR.getppid), '0', '0', '9', '0xffff0000ffff'], code: 0 },
  { name: 'unconditional rule after a conditional one wins (match)', profile: UNCOND_LAST, cmd: ['probe', String(NR.getppid), '5'], code: 34 },
  { name: 'unconditional rule after a conditional one wins (no match)', profile: UNCOND_LAST, cmd: ['probe', String(NR.getppid), '6'], code: 34 },
  { name: 'unconditional rule before a conditional one wins', profile: UNCOND_FIRST, cmd: ['probe', String(NR.getppid), '5'], code: 34 },
  { name: 'overlapping conditions on one arg: both match -> first in config order', profile: OVERLAP, cmd: ['probe', String(NR.getppid), '5'], code: 33, runc: 34 },
  { name: 'overlapping conditions on one arg: first only', profile: OVERLAP, cmd: ['probe', String(NR.getppid), '2'], code: 33 },
  { name: 'conditions on two args: both match -> first in config order', profile: OVERLAP2, cmd: ['probe', String(NR.getppid), '5', '5'], code: 33, runc: 34 },
  { name: 'conditions on two args: second only', profile: OVERLAP2, cmd: ['probe', String(NR.getppid), '0', '5'], code: 34 },
  { name: 'overlapping conditions on one arg, reversed: both match', profile: OVERLAP_REV, cmd: ['probe', String(NR.getppid), '5'], code: 34 },
  { name: 'conditions on two args, reversed: both match', profile: OVERLAP2_REV, cmd: ['probe', String(NR.getppid), '5', '5'], code: 34 },
  { name: 'allow-list: busybox sh runs', profile: allowList(), cmd: ['exec', '/bin/busybox', 'sh', '-c', 'echo hi; /bin/busybox true'], code: 0, out: /^hi\n$/ },
  { name: 'allow-list: mkdir is denied', profile: allowList(), cmd: ['exec', '/bin/busybox', 'sh', '-c', '/bin/busybox mkdir /tmp/seccomp-d'], code: 1, out: /Operation not permitted/ },
  { name: 'allow-list: a syscall below the largest listed one gets the default', profile: allowList(), cmd: ['probe', String(NR.getcwd), '0', '0'], code: 1 },
  { name: 'allow-list: a syscall above the largest listed one gets ENOSYS', profile: allowList(), cmd: ['probe', String(NR.clone3), '0', '0'], code: 38 },
  { name: 'defaultErrnoRet', profile: allowList({ defaultErrnoRet: 95 }), cmd: ['probe', String(NR.getcwd), '0', '0'], code: 95 },
  { name: 'KILL_PROCESS default kills with SIGSYS', profile: allowList({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }), cmd: ['probe', String(NR.getcwd), '0', '0'], code: SIGSYS },
  { name: 'TRAP raises SIGSYS', profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_TRAP' }] }, cmd: ['probe', String(NR.getcwd), '0', '0'], code: SIGSYS },
  { name: 'LOG allows', profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_LOG' }] }, cmd: ['probe', String(NR.getppid)], code: 0 },
  { name: 'x86_64 getpid denied by an all-arch rule', profile: ARCHES, cmd: ['probe', String(NR.getpid)], code: 33 },
  { name: 'i386 getpid (int 0x80) denied when X86 is listed', profile: ARCHES, cmd: ['probe32', '20'], code: 33, i386: true },
  { name: 'i386 getppid (int 0x80) allowed when X86 is listed', profile: ARCHES, cmd: ['probe32', '64'], code: 0, i386: true },
  { name: 'i386 syscall killed when X86 is not listed', profile: DENY_MKDIR, cmd: ['probe32', '64'], code: SIGSYS, i386: true },
  { name: 'x32 getpid denied when X32 is listed', profile: ARCHES, cmd: ['probe', X32(39)], code: 33 },
  { name: 'x32 getppid passes the filter when X32 is listed (ENOSYS without kernel x32)', profile: ARCHES, cmd: ['probe', X32(110)], code: [0, 38] },
  { name: 'x32 syscall killed when X32 is not listed', profile: DENY_MKDIR, cmd: ['probe', X32(110)], code: SIGSYS },
];

describe.skipIf(skip)('seccomp filters in the kernel', () => {
  for (const c of cases) {
    it(c.name, (ctx) => {
      if (c.i386 && !int80Works) ctx.skip();
      const r = ours(c.profile, c.cmd);
      expect([c.code].flat(), JSON.stringify(r)).toContain(r.code);
      if (c.out) expect(r.stdout + r.stderr).toMatch(c.out);
    });
  }

  it('the kernel accepts the TSYNC, LOG and SPEC_ALLOW flags', () => {
    const r = ours({ ...DENY_MKDIR, flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }, ['exec', '/bin/busybox', 'true']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a Docker-like profile loads and a busybox shell runs under it', async () => {
    const profile = dockerLike();
    expect(ours(profile, ['exec', '/bin/busybox', 'sh', '-c', 'echo ok; /bin/busybox ls / >/dev/null']).stdout).toBe('ok\n');
    expect(ours(profile, ['probe', String(NR.unshare), '0']).code).toBe(1);
    expect(ours(profile, ['probe', String(NR.clone3), '0', '0']).code).toBe(38);
    expect(ours(profile, ['probe', String(NR.personality), '0xffffffff']).code).toBe(0);
    expect(ours(profile, ['probe', String(NR.personality), '0x4']).code).toBe(1);
  });
});

describe.skipIf(skip || !isRoot || !hasRunc)('seccomp: same outcome as runc with the same profile', () => {
  for (const c of cases) {
    it(c.name, async (ctx) => {
      if (c.i386 && !int80Works) ctx.skip();
      const mine = ours(c.profile, c.cmd);
      const theirs = await viaRunc(c.profile, c.cmd);
      expect(theirs.code, `runc: ${JSON.stringify(theirs)}`).toBe(c.runc ?? mine.code);
      if (c.out) expect(theirs.stdout + theirs.stderr).toMatch(c.out);
    });
  }
});
