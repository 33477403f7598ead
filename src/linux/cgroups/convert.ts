// Pure value mappings from linux.resources to cgroup file contents (v1 and v2).
// Formulas follow runc's so that the same config gives the same numbers.
import { TsrunError } from '../../common/errors';
import type { DeviceCgroupRule } from '../../oci/types';

export interface WeightDevice { major: number; minor: number; weight?: number; leafWeight?: number }
export interface ThrottleDevice { major: number; minor: number; rate: number }
export interface BlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}
export interface Network { classID?: number; priorities?: { name: string; priority: number }[] }
export type Rdma = Record<string, { hcaHandles?: number; hcaObjects?: number }>;

/** cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000); 0 means unset. */
export function sharesToWeight(shares: number): number {
  if (!shares) return 0;
  const s = Math.max(2, shares);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** blkio.weight (v1, 10..1000) -> io.weight (v2, 1..10000); 0 means unset. */
export function blkioToIoWeight(weight: number): number {
  if (!weight) return 0;
  const w = Math.max(10, weight);
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/** pids.max: a limit of 0 or below means unlimited. */
export function pidsMax(limit: number): string {
  return limit > 0 ? String(Math.floor(limit)) : 'max';
}

/** memory.max / memory.low etc.: -1 is unlimited. */
export function v2Bytes(n: number): string {
  return n === -1 ? 'max' : String(n);
}

/**
 * OCI swap is memory+swap (v1 semantics); v2's memory.swap.max is swap alone.
 * Returns undefined when nothing is to be written.
 */
export function swapV2(swap: number | undefined, limit: number | undefined): string | undefined {
  const s = swap ?? 0;
  const m = limit ?? 0;
  // Unlimited memory with swap unset: unlimit swap too (what v1 does implicitly).
  if (m === -1 && s === 0) return 'max';
  if (s === -1) return 'max';
  if (s === 0) return undefined;
  if (m === 0 || m === -1) throw new TsrunError(`linux.resources.memory.swap: ${s}: cannot set swap without a memory limit`);
  if (s < m) throw new TsrunError(`linux.resources.memory.swap: ${s}: must be >= memory limit ${m} (it is memory+swap)`);
  return String(s - m);
}

/** cpu.max "quota period"; quota <= 0 is "max". undefined when neither is set. */
export function cpuMaxV2(quota: number | undefined, period: number | undefined): string | undefined {
  if (!quota && !period) return undefined;
  let s = quota && quota > 0 ? String(quota) : 'max';
  if (period) s += ` ${period}`;
  return s;
}

const THROTTLE_KEYS: [keyof BlockIO, string, string][] = [
  ['throttleReadBpsDevice', 'rbps', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'wbps', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'riops', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'wiops', 'blkio.throttle.write_iops_device'],
];

/** v2 io.max lines, one write each: "8:0 rbps=1048576"; a rate of 0 removes the limit ("max"), as on v1. */
export function ioMaxLines(b: BlockIO): string[] {
  const out: string[] = [];
  for (const [key, name] of THROTTLE_KEYS) {
    for (const t of (b[key] as ThrottleDevice[] | undefined) ?? []) {
      out.push(`${t.major}:${t.minor} ${name}=${t.rate > 0 ? t.rate : 'max'}`);
    }
  }
  return out;
}

/** v1 throttle writes: [file, "8:0 1048576"]. */
export function blkioThrottleWrites(b: BlockIO): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, , file] of THROTTLE_KEYS) {
    for (const t of (b[key] as ThrottleDevice[] | undefined) ?? []) out.push([file, `${t.major}:${t.minor} ${t.rate}`]);
  }
  return out;
}

/** "2MB" -> "2MB" after checking the form the kernel uses for hugetlb file names. */
export function hugepageSize(pageSize: string): string {
  if (!/^[0-9]+(KB|MB|GB)$/.test(pageSize)) {
    throw new TsrunError(`linux.resources.hugepageLimits: invalid pageSize "${pageSize}" (want e.g. "2MB", "1GB")`);
  }
  return pageSize;
}

/** rdma.max lines: "mlx5_1 hca_handle=3 hca_object=max". */
export function rdmaLines(r: Rdma): string[] {
  return Object.entries(r).map(([dev, v]) => {
    const parts = [dev];
    if (v.hcaHandles !== undefined) parts.push(`hca_handle=${v.hcaHandles}`);
    if (v.hcaObjects !== undefined) parts.push(`hca_object=${v.hcaObjects}`);
    return parts.join(' ');
  });
}

/** A device rule in normalised form (what v1 writes, and what an eBPF program must encode on v2). */
export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'c' | 'b';
  /** -1 = any ("*"). */
  major: number;
  minor: number;
  access: string;
}

/** devices.allow / devices.deny line: "c 1:3 rwm", "a" for everything. */
export function deviceRuleLine(r: DeviceRule): string {
  if (r.type === 'a') return 'a';
  const n = (x: number) => (x < 0 ? '*' : String(x));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

function normalise(r: DeviceCgroupRule): DeviceRule {
  const access = r.access ?? 'rwm';
  if (!/^[rwm]{0,3}$/.test(access)) throw new TsrunError(`linux.resources.devices: invalid access "${access}"`);
  // The kernel reads type "a" as "every device, every access" whatever else the rule says.
  return {
    allow: r.allow,
    type: r.type ?? 'a',
    major: r.major ?? -1,
    minor: r.minor ?? -1,
    access: access || 'rwm',
  };
}

const allowRwm = (major: number, minor: number): DeviceRule => ({ allow: true, type: 'c', major, minor, access: 'rwm' });

/**
 * Devices every container may use, appended after the config's rules as runc 1.1 does
 * (observed on this host: b *:* m, c *:* m, null, zero, full, random, urandom, tty, ptmx,
 * net/tun, pts; also when the config has no device rules at all). A rule with a path gives
 * way when linux.devices lists that path (runc: the config's device takes its place).
 */
const DEFAULTS: { path?: string; rule: DeviceRule }[] = [
  { rule: { allow: true, type: 'c', major: -1, minor: -1, access: 'm' } },
  { rule: { allow: true, type: 'b', major: -1, minor: -1, access: 'm' } },
  { path: '/dev/null', rule: allowRwm(1, 3) },
  { path: '/dev/random', rule: allowRwm(1, 8) },
  { path: '/dev/full', rule: allowRwm(1, 7) },
  { path: '/dev/tty', rule: allowRwm(5, 0) },
  { path: '/dev/zero', rule: allowRwm(1, 5) },
  { path: '/dev/urandom', rule: allowRwm(1, 9) },
  { rule: allowRwm(136, -1) }, // /dev/pts/*
  { rule: allowRwm(5, 2) }, // /dev/ptmx
  { rule: allowRwm(10, 200) }, // /dev/net/tun
];

export const DEFAULT_ALLOWED_DEVICES: DeviceRule[] = DEFAULTS.map((d) => d.rule);

/**
 * The full ordered rule list for a container: the config's rules, then the defaults but
 * those whose path linux.devices lists (`listed`, compared as written, as runc does). The
 * list starts from deny-all, as runc's does. linux.devices only creates nodes: as in runc,
 * whether the container may use them is up to linux.resources.devices alone.
 */
export function effectiveDeviceRules(rules: DeviceCgroupRule[] | undefined, listed: readonly string[] = []): DeviceRule[] {
  const out: DeviceRule[] = [{ allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' }];
  for (const r of rules ?? []) out.push(normalise(r));
  for (const d of DEFAULTS) if (!d.path || !listed.includes(d.path)) out.push(d.rule);
  return out;
}
