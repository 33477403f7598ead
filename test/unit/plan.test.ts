import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExecPlan, buildPlan, type HostFacts, type PlanInput } from '../../src/linux/plan';
import { OP, PlanWriter, decodePlan, type DecodedOp } from '../../src/linux/plan-wire';
import { defaultSpec } from '../../src/oci/spec-default';
import type { Spec } from '../../src/oci/types';
import { SYNC } from '../../src/native/shim';
import { parseMountOptions, MS } from '../../src/linux/mount-options';

const header = fs.readFileSync(path.join(__dirname, '../../native-shim/plan.h'), 'utf8');

function cEnum(prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of header.matchAll(new RegExp(`\\b${prefix}_([A-Z_0-9]+)\\s*=\\s*(\\d+)`, 'g'))) out[m[1]] = Number(m[2]);
  return out;
}

describe('launch plan wire format', () => {
  it('TS op codes match native-shim/plan.h', () => {
    expect(cEnum('OP')).toEqual(OP);
  });
  it('TS sync message types match native-shim/plan.h', () => {
    expect(cEnum('SYNC')).toEqual(SYNC);
  });
  it('encodes ops as 8-byte aligned records with ints and NUL-terminated strings', () => {
    const buf = new PlanWriter().op(OP.MOUNT, [1, -1n, 3], ['src', 'dst']).build();
    expect(buf.length % 8).toBe(0);
    expect(buf.readUInt32LE(0)).toBe(OP.MOUNT);
    expect(buf.readUInt32LE(4)).toBe(buf.length);
    expect(buf.readBigInt64LE(8)).toBe(1n);
    expect(buf.readBigInt64LE(16)).toBe(-1n);
    expect(buf.subarray(40, 48).toString()).toBe('src\0dst\0');
  });
  it('refuses strings with NUL bytes', () => {
    expect(() => new PlanWriter().op(OP.STR, [], ['a\0b'])).toThrow(/NUL/);
  });
  it('decodes what it encodes', () => {
    const buf = new PlanWriter().op(OP.MOUNT, [1, -1n, 3], ['src', '', 'tmpfs']).op(OP.END).build();
    expect(decodePlan(buf)).toEqual([
      { op: 'MOUNT', n: [1n, -1n, 3n, 0n], s: ['src', '', 'tmpfs'] },
      { op: 'END', n: [0n, 0n, 0n, 0n], s: [] },
    ]);
    expect(() => decodePlan(buf.subarray(0, 12))).toThrow(/bad op size/);
  });
});

describe('mount options', () => {
  it('splits flags, propagation and data', () => {
    const p = parseMountOptions(['rbind', 'ro', 'nosuid', 'rprivate', 'mode=755', 'rw']);
    expect(p.flags).toBe(MS.BIND | MS.REC | MS.NOSUID);
    expect(p.propagation).toBe(MS.PRIVATE | MS.REC);
    expect(p.data).toEqual(['mode=755']);
  });
});

/** The op codes of a plan, in order. */
function decode(buf: Buffer): number[] {
  return decodePlan(buf).map((o) => OP[o.op as keyof typeof OP]);
}

describe('buildPlan', () => {
  const spec = {
    ociVersion: '1.2.0',
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'pid' as const }, { type: 'mount' as const }] },
  };
  const input = { id: 'x', spec, rootfs: '/r', bundle: '/b', fifoPath: '/f', noPivot: false, noNewKeyring: true, preserveFds: 0 };
  it('without a mount namespace: only chroot, and no read-only root (it would be the host\'s)', () => {
    const noMnt = { ...spec, linux: { namespaces: [] } };
    const ops = decode(buildPlan({ ...input, spec: noMnt }).bytes);
    expect(ops).not.toContain(OP.BIND_ROOTFS);
    expect(ops).not.toContain(OP.SET_MOUNT_PROPAGATION);
    expect(() => buildPlan({ ...input, spec: { ...noMnt, root: { path: 'rootfs', readonly: true } } })).toThrow(/needs a mount namespace/);
  });
  it('shares "/" only after pivot_root (which refuses shared mounts)', () => {
    const shared = { ...spec, linux: { ...spec.linux, rootfsPropagation: 'rshared' } };
    const ops = decode(buildPlan({ ...input, spec: shared }).bytes);
    expect(ops.indexOf(OP.SET_MOUNT_PROPAGATION)).toBeLessThan(ops.indexOf(OP.PIVOT));
    expect(ops.lastIndexOf(OP.SET_MOUNT_PROPAGATION)).toBeGreaterThan(ops.indexOf(OP.PIVOT));
  });
  it('asks for id maps only with a new user namespace', () => {
    expect(buildPlan(input).newUserNs).toBe(false);
    const userSpec = { ...spec, linux: { namespaces: [...spec.linux.namespaces, { type: 'user' as const }] } };
    expect(buildPlan({ ...input, spec: userSpec }).newUserNs).toBe(true);
  });
  it('requires --console-socket for a terminal', () => {
    const t = { ...spec, process: { ...spec.process, terminal: true } };
    expect(() => buildPlan({ ...input, spec: t })).toThrow(/--console-socket is required/);
  });
});

/** A host with everything: facts fixed so plans do not depend on the machine running the tests. */
const HOST: HostFacts = {
  cgroupV1: [],
  capBounding: (1n << 41n) - 1n,
  appArmor: false,
  selinux: false,
  kcore: true,
  bindSources: {},
};

/** One op per line: name, the integers (trailing zeros dropped, flags in hex) and the strings. */
function golden(ops: DecodedOp[]): string {
  const lines = ops.map(({ op, n, s }) => {
    const ints = [...n];
    while (ints.length && ints[ints.length - 1] === 0n) ints.pop();
    const num = ints.map((x) => (x > 255n || x < -1n ? '0x' + BigInt.asUintN(64, x).toString(16) : String(x)));
    const str = s.map((x) => JSON.stringify(x.length > 80 ? x.slice(0, 77) + '...' : x));
    return [String(op), num.length ? `[${num.join(' ')}]` : '', ...str].filter(Boolean).join(' ');
  });
  return lines.join('\n') + '\n';
}

describe('whole plans (golden files in test/unit/fixtures/plans; update with vitest -u after checking the diff)', () => {
  const base: Omit<PlanInput, 'spec'> = {
    id: 'golden', rootfs: '/bundle/rootfs', bundle: '/bundle', fifoPath: '/run/tsrun/golden/exec.fifo',
    noPivot: false, noNewKeyring: false, preserveFds: 0, cgroup: { mode: 'v1', path: '/tsrun/golden', dirs: { memory: '/sys/fs/cgroup/memory/tsrun/golden' } },
  };
  it('`tsrun spec` config on a pure v2 host', async () => {
    const spec = defaultSpec({ rootless: false });
    const plan = buildPlan({ ...base, spec, consoleSocket: '/tmp/console.sock' }, HOST);
    expect(plan.warnings).toEqual([]);
    // runc 1.1.5's spec asks for ambient caps with no inheritable set: the kernel cannot raise
    // them, so they are dropped with a warning and the plan is the same.
    const runc115 = structuredClone(spec);
    runc115.process!.capabilities!.ambient = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const p115 = buildPlan({ ...base, spec: runc115, consoleSocket: '/tmp/console.sock' }, HOST);
    expect(p115.warnings).toEqual([
      'ambient capabilities CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE are not in both the permitted and inheritable sets: not raised',
    ]);
    expect(golden(decodePlan(p115.bytes))).toBe(golden(decodePlan(plan.bytes)));
    await expect(golden(decodePlan(plan.bytes))).toMatchFileSnapshot('fixtures/plans/default.txt');
  });
  it('`tsrun spec --rootless` config with a terminal of a given size on a v1 host', async () => {
    const spec = defaultSpec({ rootless: true });
    spec.process!.consoleSize = { height: 24, width: 80 };
    const host: HostFacts = {
      ...HOST,
      bindSources: { '/sys': 'dir' },
      cgroupV1: [
        { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] },
        { mountpoint: '/sys/fs/cgroup/memory', controllers: ['memory'] },
      ],
    };
    const plan = buildPlan({ ...base, spec, consoleSocket: '/tmp/console.sock' }, host);
    expect(plan.newUserNs).toBe(true);
    await expect(golden(decodePlan(plan.bytes))).toMatchFileSnapshot('fixtures/plans/rootless-v1-terminal.txt');
  });
  it('binds each v1 hierarchy\'s own container cgroup (they differ with a relative cgroupsPath), else the inherited one', () => {
    const spec = defaultSpec({ rootless: false });
    const host: HostFacts = {
      ...HOST,
      cgroupV1: [
        { mountpoint: '/sys/fs/cgroup/memory', controllers: ['memory'], ownDir: '/sys/fs/cgroup/memory/svc' },
        { mountpoint: '/sys/fs/cgroup/pids', controllers: ['pids'], ownDir: '/sys/fs/cgroup/pids' },
        { mountpoint: '/sys/fs/cgroup/net_cls', controllers: ['net_cls'], ownDir: '/sys/fs/cgroup/net_cls/x' },
      ],
    };
    const cgroup = { mode: 'v1' as const, path: '/svc/c1', dirs: { memory: '/sys/fs/cgroup/memory/svc/c1', pids: '/sys/fs/cgroup/pids/c1' } };
    const binds = decodePlan(buildPlan({ ...base, spec, cgroup, consoleSocket: '/tmp/c.sock' }, host).bytes)
      .filter((o) => o.op === 'MOUNT' && o.s[1].startsWith('/sys/fs/cgroup/'))
      .map((o) => `${o.s[0]} -> ${o.s[1]}`);
    expect(binds).toEqual([
      '/sys/fs/cgroup/memory/svc/c1 -> /sys/fs/cgroup/memory',
      '/sys/fs/cgroup/pids/c1 -> /sys/fs/cgroup/pids',
      '/sys/fs/cgroup/net_cls/x -> /sys/fs/cgroup/net_cls',
    ]);
  });
  it('joined namespaces, hooks, binds, devices, sysctls and the rest of the process', async () => {
    const spec: Spec = {
      ociVersion: '1.2.0',
      hostname: 'h',
      domainname: 'd',
      root: { path: 'rootfs', readonly: true },
      process: {
        cwd: '/work', args: ['/bin/sh', '-c', 'true'], env: ['PATH=/bin', 'A=1'],
        user: { uid: 1000, gid: 100, umask: 0o077, additionalGids: [10, 20] },
        noNewPrivileges: true, oomScoreAdj: 5,
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }],
        capabilities: { bounding: ['CAP_KILL', 'CAP_BOGUS'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_BPF'] },
      },
      mounts: [
        { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'nosuid'] },
        { destination: '/etc/hosts', type: 'none', source: '/etc/hosts', options: ['bind'] },
      ],
      hooks: {
        createContainer: [{ path: '/bin/hook', args: ['hook', 'a'], env: ['X=1'], timeout: 3 }],
        startContainer: [{ path: '/bin/start' }],
      },
      linux: {
        namespaces: [{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'user', path: '/proc/1/ns/user' }, { type: 'pid' }, { type: 'time' }],
        timeOffsets: { monotonic: { secs: 10 } },
        rootfsPropagation: 'rshared',
        devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }],
        sysctl: { 'net.ipv4.ip_forward': '1' },
        maskedPaths: ['/proc/kcore'],
        readonlyPaths: ['/proc/sys'],
        personality: { domain: 'LINUX32' },
        seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] },
      },
    };
    const host: HostFacts = { ...HOST, capBounding: (1n << 38n) - 1n, bindSources: { '/bundle/data': 'dir', '/etc/hosts': 'file' } };
    const plan = buildPlan({ ...base, spec, noNewKeyring: true, preserveFds: 2 }, host);
    expect(plan.warnings).toEqual([
      'capability CAP_BOGUS (bounding) is unknown to tsrun: ignored',
      'capabilities CAP_BPF (permitted) are not held by tsrun: ignored',
    ]);
    await expect(golden(decodePlan(plan.bytes))).toMatchFileSnapshot('fixtures/plans/full.txt');
    expect(() => buildPlan({ ...base, spec }, { ...host, bindSources: {} })).toThrow('mount /data: bind source /bundle/data does not exist');
  });
  it('exec into a container with a terminal', async () => {
    const bytes = buildExecPlan(
      {
        id: 'golden', initPid: 4242, namespaces: ['pid', 'mount', 'user', 'network'],
        process: { cwd: '/', args: ['ps'], env: ['TERM=xterm'], user: { uid: 0, gid: 0 }, terminal: true },
        consoleSocket: '/tmp/c.sock', noNewKeyring: false, preserveFds: 0,
      },
      HOST,
    );
    await expect(golden(decodePlan(bytes))).toMatchFileSnapshot('fixtures/plans/exec.txt');
  });
});
