// What the host's cgroup layout looks like: the mode, the v1 hierarchies (from
// /proc/self/mountinfo) and our own cgroup (from /proc/self/cgroup). Read once, cached.
import fs from 'node:fs';
import { fsError } from '../../common/errors';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const UNIFIED_HYBRID = '/sys/fs/cgroup/unified';

/** One mounted cgroup hierarchy. */
export interface Hierarchy {
  /** v1 controller names on this mount ('cpu', 'cpuacct', 'name=systemd'...); [] for cgroup2. */
  controllers: string[];
  mountpoint: string;
  /** The mount's root inside the hierarchy ('/' on a host, a sub-path inside a container). */
  root: string;
  v2: boolean;
}

/** v1 controllers we join; named hierarchies other than name=systemd are left alone, as runc does. */
export const V1_CONTROLLERS = [
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids',
  'net_cls', 'net_prio', 'hugetlb', 'perf_event', 'rdma', 'misc', 'name=systemd',
];

const SUPER_OPTS_IGNORED = new Set(['rw', 'ro']);

/** Parse mountinfo text into cgroup hierarchies (pure, for tests). */
export function parseMountinfo(text: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fstype = post[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    const root = unescape(pre[3]);
    const mountpoint = unescape(pre[4]);
    const superOpts = (post[2] ?? '').split(',');
    const controllers = fstype === 'cgroup'
      ? superOpts.filter((o) => !SUPER_OPTS_IGNORED.has(o) && (V1_CONTROLLERS.includes(o) || o.startsWith('name=')))
      : [];
    out.push({ controllers, mountpoint, root, v2: fstype === 'cgroup2' });
  }
  return out;
}

/** Parse /proc/<pid>/cgroup into controller -> path ('' key for the v2 line). Pure. */
export function parseProcCgroup(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const ctrls = line.slice(a + 1, b);
    const p = line.slice(b + 1);
    if (ctrls === '') m.set('', p);
    else for (const c of ctrls.split(',')) m.set(c, p);
  }
  return m;
}

/** Mode from the parsed hierarchies (pure). */
export function modeOf(hs: Hierarchy[]): CgroupMode {
  if (hs.some((h) => h.v2 && h.mountpoint === CGROUP_ROOT)) return 'v2';
  if (hs.some((h) => h.v2 && h.mountpoint === UNIFIED_HYBRID) && hs.some((h) => !h.v2)) return 'hybrid';
  return 'v1';
}

let cachedMounts: Hierarchy[] | undefined;
let cachedOwn: Map<string, string> | undefined;

function readProc(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    throw fsError(`cgroup: read ${p}`, e);
  }
}

export function hostHierarchies(): Hierarchy[] {
  if (!cachedMounts) cachedMounts = parseMountinfo(readProc('/proc/self/mountinfo'));
  return cachedMounts;
}

export function ownCgroups(): Map<string, string> {
  if (!cachedOwn) cachedOwn = parseProcCgroup(readProc('/proc/self/cgroup'));
  return cachedOwn;
}

/** One mountinfo read, cached for the life of the process. */
export function detectMode(): CgroupMode {
  return modeOf(hostHierarchies());
}

/** Test hook: forget cached host facts. */
export function resetHostCache(): void {
  cachedMounts = undefined;
  cachedOwn = undefined;
}
