// Device programs in the real kernel. Each test makes a cgroup2 dir (on this hybrid host under
// /sys/fs/cgroup/unified: BPF device programs work on any cgroup2 dir), attaches a program, and
// runs a small static C probe that first moves itself into that cgroup and then opens and
// mknods devices, printing the errno name of each step. Every dir is removed afterwards
// (removing a cgroup detaches its programs), also when a test fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRule } from '../../src/linux/cgroups/convert';
import { attachDeviceRules, compileDeviceProgram } from '../../src/linux/cgroups/devices-bpf';
import { V2Manager } from '../../src/linux/cgroups/v2';
import { loadNative } from '../../src/native/shim';

const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* usage: probe CGROUP_PROCS OP... with OP = r:PATH | w:PATH | rw:PATH | mknod:PATH:c|b:MAJ:MIN */
int main(int argc, char **argv) {
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) { perror("join cgroup"); return 120; }
	for (int i = 2; i < argc; i++) {
		char *op = argv[i], *arg = strchr(op, ':');
		int rc;
		*arg++ = 0;
		if (!strcmp(op, "mknod")) {
			char *p = strtok(arg, ":"), *t = strtok(0, ":"), *ma = strtok(0, ":"), *mi = strtok(0, ":");
			unlink(p);
			rc = mknod(p, (*t == 'b' ? S_IFBLK : S_IFCHR) | 0600, makedev(atoi(ma), atoi(mi)));
			if (rc == 0) unlink(p);
		} else {
			int fl = !strcmp(op, "r") ? O_RDONLY : !strcmp(op, "w") ? O_WRONLY : O_RDWR;
			rc = open(arg, fl | O_CLOEXEC);
			if (rc >= 0) close(rc);
		}
		printf("%s\n", rc < 0 ? strerrorname_np(errno) : "OK");
	}
	return 0;
}
`;

function cgroup2Root(): string | undefined {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && f[sep + 1] === 'cgroup2') return f[4];
  }
  return undefined;
}

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root';
  if (!cgroup2Root()) return 'no cgroup2 mount';
  if (!fs.existsSync(path.join(__dirname, '..', '..', 'build', 'libtsrun-shim.so'))) return 'shim not built (npm run build)';
  if (spawnSync('cc', ['--version']).status !== 0) return 'no C compiler';
  return undefined;
}
const why = skipReason();
if (why) console.warn(`[devices-bpf integration] skipped: ${why}`);

const ROOT = why ? '' : cgroup2Root()!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-devbpf-'));
const probe = path.join(tmp, 'probe');
const dirs: string[] = [];
let seq = 0;

function mkcg(): string {
  const d = path.join(ROOT, `tsrun-devbpf-${process.pid}-${seq++}`);
  fs.mkdirSync(d);
  dirs.push(d);
  return d;
}

/** Run the probe inside cgroup dir; one result (OK / errno name) per op. */
function probeIn(dir: string, ...ops: string[]): string[] {
  const r = spawnSync(probe, [path.join(dir, 'cgroup.procs'), ...ops], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

const rule = (allow: boolean, type: 'a' | 'c' | 'b', major = -1, minor = -1, access = 'rwm'): DeviceRule => ({ allow, type, major, minor, access });
const denyAll = rule(false, 'a');
const node = (name: string) => path.join(tmp, name);

function attachedIds(dir: string): number[] {
  const r = spawnSync('bpftool', ['-j', 'cgroup', 'show', dir], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return (JSON.parse(r.stdout || '[]') as { id: number; attach_type: string }[]).filter((p) => p.attach_type === 'cgroup_device' || p.attach_type === 'device').map((p) => p.id);
}
const haveBpftool = !why && spawnSync('bpftool', ['version']).status === 0;

describe.skipIf(!!why)('device programs in the kernel', () => {
  beforeAll(() => {
    fs.writeFileSync(path.join(tmp, 'probe.c'), PROBE_C);
    const cc = spawnSync('cc', ['-static', '-O1', '-Wall', '-o', probe, path.join(tmp, 'probe.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`probe: ${cc.stderr}`);
  });
  afterEach(() => {
    for (const d of dirs.splice(0)) {
      try { fs.rmdirSync(d); } catch (e) { console.warn(`[devices-bpf integration] rmdir ${d}: ${(e as Error).message}`); }
    }
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('without a program everything is reachable (the probe itself works)', () => {
    expect(probeIn(mkcg(), 'rw:/dev/null', 'r:/dev/zero', `mknod:${node('n')}:c:1:3`)).toEqual(['OK', 'OK', 'OK']);
  });

  it('deny all, allow c 1:3 rwm: /dev/null opens, /dev/zero is EPERM, mknod only of 1:3', () => {
    const d = mkcg();
    attachDeviceRules(d, [denyAll, rule(true, 'c', 1, 3)]);
    expect(probeIn(d, 'rw:/dev/null', 'r:/dev/zero', 'w:/dev/zero', `mknod:${node('n')}:c:1:3`, `mknod:${node('z')}:c:1:5`))
      .toEqual(['OK', 'EPERM', 'EPERM', 'OK', 'EPERM']);
  });

  it('access subsets: r only, and m only', () => {
    const d = mkcg();
    attachDeviceRules(d, [denyAll, rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 5, 'm')]);
    expect(probeIn(d, 'r:/dev/null', 'w:/dev/null', 'rw:/dev/null', `mknod:${node('n')}:c:1:3`, `mknod:${node('z')}:c:1:5`, 'r:/dev/zero'))
      .toEqual(['OK', 'EPERM', 'EPERM', 'EPERM', 'OK', 'EPERM']);
  });

  it('wildcard minor and major', () => {
    const d = mkcg();
    attachDeviceRules(d, [denyAll, rule(true, 'c', 1, -1, 'rw'), rule(true, 'c', -1, 0, 'm')]);
    expect(probeIn(d, 'rw:/dev/null', 'r:/dev/zero', 'r:/dev/urandom', 'r:/dev/tty', `mknod:${node('n')}:c:1:3`, `mknod:${node('t')}:c:5:0`, `mknod:${node('u')}:c:5:1`))
      .toEqual(['OK', 'OK', 'OK', 'EPERM', 'EPERM', 'OK', 'EPERM']);
  });

  it('device numbers of 2^31 and more (compared through a register) pass the verifier', () => {
    const d = mkcg();
    attachDeviceRules(d, [denyAll, rule(true, 'c', 0xffffffff, 0x80000000), rule(true, 'c', 1, 3)]);
    expect(probeIn(d, 'r:/dev/null', 'r:/dev/zero')).toEqual(['OK', 'EPERM']);
    attachDeviceRules(d, [rule(true, 'a'), rule(false, 'c', 0x80000001, -1, 'r'), rule(false, 'c', 1, 5, 'r')]);
    expect(probeIn(d, 'r:/dev/null', 'r:/dev/zero')).toEqual(['OK', 'EPERM']);
  });

  it('block vs char', () => {
    const d = mkcg();
    attachDeviceRules(d, [denyAll, rule(true, 'b', -1, -1, 'm'), rule(true, 'b', 1, 3)]);
    expect(probeIn(d, `mknod:${node('b')}:b:7:0`, `mknod:${node('c')}:c:7:0`, 'r:/dev/null', `mknod:${node('n')}:c:1:3`))
      .toEqual(['OK', 'EPERM', 'EPERM', 'EPERM']);
  });

  it('allow-all mode with a deny: O_RDWR is refused by "deny c 1:3 w" (v1 partial match)', () => {
    const d = mkcg();
    attachDeviceRules(d, [rule(true, 'a'), rule(false, 'c', 1, 3, 'w')]);
    expect(probeIn(d, 'r:/dev/null', 'w:/dev/null', 'rw:/dev/null', 'rw:/dev/zero')).toEqual(['OK', 'EPERM', 'EPERM', 'OK']);
  });

  it('a second attach replaces the first program (no leftover filter)', () => {
    const d = mkcg();
    attachDeviceRules(d, [denyAll, rule(true, 'c', 1, 3)]);
    const first = haveBpftool ? attachedIds(d) : [];
    attachDeviceRules(d, [denyAll, rule(true, 'c', 1, 5)]);
    // Were the first still attached, both programs would have to allow: nothing would open.
    expect(probeIn(d, 'r:/dev/null', 'r:/dev/zero')).toEqual(['EPERM', 'OK']);
    attachDeviceRules(d, [rule(true, 'a')]);
    expect(probeIn(d, 'r:/dev/null', 'r:/dev/zero')).toEqual(['OK', 'OK']);
    if (haveBpftool) {
      const now = attachedIds(d);
      expect(first).toHaveLength(1);
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(first[0]);
    } else console.warn('[devices-bpf integration] bpftool absent: attached-program count not checked');
  });

  it('V2Manager.set attaches the container policy (defaults allowed, the rest denied)', () => {
    const d = mkcg();
    const m = new V2Manager({ mode: 'v2', path: '/' + path.basename(d), dirs: { unified: d } }, {}, ROOT);
    m.set({ devices: [] });
    expect(probeIn(d, 'rw:/dev/null', 'r:/dev/zero', 'r:/dev/urandom', 'r:/dev/kmsg', `mknod:${node('m')}:c:1:1`, `mknod:${node('s')}:b:8:0`))
      .toEqual(['OK', 'OK', 'OK', 'EPERM', 'OK', 'OK']);
  });

  it('errors name the cgroup dir, the step and the errno; verifier rejections carry its log', () => {
    const gone = path.join(ROOT, `tsrun-devbpf-${process.pid}-missing`);
    expect(() => attachDeviceRules(gone, [denyAll])).toThrow(`cgroup: ${gone}: device filter: open: ENOENT`);
    const d = mkcg();
    // "exit" with r0 never set: the verifier refuses it.
    const bad = Buffer.from([0x95, 0, 0, 0, 0, 0, 0, 0]);
    let msg = '';
    try { loadNative().attachDeviceProgram(bad, d); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/^BPF_PROG_LOAD: .*R0 !read_ok.*: EACCES$/);
    expect(msg).not.toContain('\n');
    // Nothing was attached: the cgroup is still open.
    expect(probeIn(d, 'r:/dev/kmsg')).toEqual(['OK']);
    expect(compileDeviceProgram([denyAll]).length % 8).toBe(0);
  });
});
