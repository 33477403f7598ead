import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP, PlanWriter, buildPlan } from '../../src/linux/plan';
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
  const ops: number[] = [];
  for (let off = 0; off < buf.length; off += buf.readUInt32LE(off + 4)) ops.push(buf.readUInt32LE(off));
  return ops;
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
