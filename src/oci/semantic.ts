// Rules on config.json that a JSON Schema cannot say (cross-field, filesystem, name tables).
// Runs after validateConfig, so shapes and types are already right. Errors and warnings
// are one line: "config.json: <JSON pointer>: <what is wrong>". Where runc 1.1.5 only
// warns (relative mount destination, unknown capability, mappings without a user
// namespace) tsrun warns too.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError } from '../common/errors';
import type { Namespace, Process, Spec } from './types';
import { CAPABILITIES } from '../linux/capabilities';
import { RLIMITS } from '../linux/rlimits';

export interface CheckOptions {
  /** `process` is required to create a container (default true). */
  requireProcess?: boolean;
  /** Receives warning lines; default: warnings are dropped. */
  warn?: (line: string) => void;
  /** Name used in messages (default "config.json"). */
  file?: string;
}

export const RLIMIT_TYPES: readonly string[] = Object.keys(RLIMITS);

/** Values runc accepts for linux.rootfsPropagation (the spec names the non-recursive four). */
export const ROOTFS_PROPAGATIONS: readonly string[] = [
  'shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable',
];

const TIME_CLOCKS = ['monotonic', 'boottime'];
// SemVer 2.0.0: MAJOR.MINOR.PATCH[-pre][+build], no leading zeros in numeric parts.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
// System V IPC sysctls that the ipc namespace isolates (fs.mqueue.* too).
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall',
  'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

function tok(t: string | number): string {
  return String(t).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Collects problems so the thrown line can say how many more there are. */
class Findings {
  readonly errors: string[] = [];
  constructor(
    private readonly file: string,
    private readonly warnFn?: (line: string) => void,
  ) {}
  error(ptr: string, msg: string): void {
    this.errors.push(`${this.file}: ${ptr}: ${msg}`);
  }
  warn(ptr: string, msg: string): void {
    this.warnFn?.(`${this.file}: ${ptr}: ${msg}`);
  }
  /** The first error, and how many more there are. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const others = this.errors.length - 1;
    throw new TsrunError(this.errors[0] + (others > 0 ? ` (and ${others} more error${others === 1 ? '' : 's'})` : ''));
  }
}

/** Check everything about `spec` that the schema cannot; throws TsrunError on the first problem. */
export function checkConfig(spec: Spec, bundleDir: string, opts: CheckOptions = {}): void {
  const f = new Findings(opts.file ?? 'config.json', opts.warn);
  checkVersion(spec, f);
  checkRoot(spec, bundleDir, f);
  checkProcess(spec, opts.requireProcess ?? true, f);
  checkMounts(spec, f);
  checkHooks(spec, f);
  checkLinux(spec, f);
  f.throwIfAny();
}

function checkVersion(spec: Spec, f: Findings): void {
  const m = SEMVER.exec(spec.ociVersion);
  if (!m) f.error('/ociVersion', `${JSON.stringify(spec.ociVersion)} is not a SemVer 2.0.0 version`);
  else if (m[1] !== '1') f.error('/ociVersion', `${JSON.stringify(spec.ociVersion)} is not supported (tsrun supports 1.x)`);
}

function checkRoot(spec: Spec, bundleDir: string, f: Findings): void {
  if (!spec.root) {
    f.error('/root', 'must be present on Linux');
    return;
  }
  const abs = path.resolve(bundleDir, spec.root.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    f.error('/root/path', `${JSON.stringify(abs)}: ${code === 'ENOENT' ? 'does not exist' : code}`);
    return;
  }
  if (!st.isDirectory()) f.error('/root/path', `${JSON.stringify(abs)}: is not a directory`);
}

function absolute(f: Findings, ptr: string, p: string): void {
  if (!p.startsWith('/')) f.error(ptr, `${JSON.stringify(p)} must be an absolute path`);
}

function checkProcess(spec: Spec, required: boolean, f: Findings): void {
  const p = spec.process;
  if (!p) {
    if (required) f.error('/process', 'must be present to create a container');
    return;
  }
  if (!p.user) f.error('/process/user', 'must be present on Linux');
  else {
    if (p.user.uid === undefined) f.error('/process/user/uid', 'must be present on Linux');
    if (p.user.gid === undefined) f.error('/process/user/gid', 'must be present on Linux');
  }
  checkProcessFields(p, '/process', f);
}

/** `exec --process FILE`: the rules of config.json's process that apply to an exec'd one
 *  (user may be absent: it defaults to 0:0, as runc's). Pointers are relative to the file. */
export function checkExecProcess(p: Process, file: string, warn?: (line: string) => void): void {
  const f = new Findings(file, warn);
  checkProcessFields(p, '', f);
  f.throwIfAny();
}

function checkProcessFields(p: Process, base: string, f: Findings): void {
  if (!p.args || p.args.length === 0) f.error(`${base}/args`, 'must contain at least one entry');
  absolute(f, `${base}/cwd`, p.cwd);
  // Same rules runc applies when it builds the environment of the container process.
  (p.env ?? []).forEach((kv, i) => {
    const eq = kv.indexOf('=');
    if (eq < 0) f.error(`${base}/env/${i}`, `${JSON.stringify(kv)} is not NAME=value`);
    else if (eq === 0) f.error(`${base}/env/${i}`, `${JSON.stringify(kv)} has an empty name`);
    else if (kv.includes('\0')) f.error(`${base}/env/${i}`, 'contains a NUL byte');
  });
  const seen = new Map<string, number>();
  (p.rlimits ?? []).forEach((r, i) => {
    const ptr = `${base}/rlimits/${i}`;
    if (!RLIMIT_TYPES.includes(r.type)) f.error(`${ptr}/type`, `unknown rlimit ${JSON.stringify(r.type)}`);
    const first = seen.get(r.type);
    if (first !== undefined) f.error(`${ptr}/type`, `duplicate rlimit ${JSON.stringify(r.type)} (first at ${base}/rlimits/${first})`);
    else seen.set(r.type, i);
    if (r.soft > r.hard) f.error(`${ptr}/soft`, `${r.soft} is greater than hard limit ${r.hard}`);
  });
  const caps = p.capabilities ?? {};
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
    (caps[set] ?? []).forEach((name, i) => {
      const ptr = `${base}/capabilities/${set}/${i}`;
      if (!/^CAP_[A-Z0-9_]+$/.test(name)) f.error(ptr, `${JSON.stringify(name)} is not a capability name`);
      // Spec and runc: capabilities that cannot be granted are a warning, not an error.
      else if (!CAPABILITIES.includes(name)) f.warn(ptr, `unknown capability ${JSON.stringify(name)} ignored`);
    });
  }
  if (p.oomScoreAdj !== undefined && (p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000)) {
    f.error(`${base}/oomScoreAdj`, `${p.oomScoreAdj} is outside -1000..1000`);
  }
  const io = p.ioPriority;
  if (io && (io.priority < 0 || io.priority > 7)) f.error(`${base}/ioPriority/priority`, `${io.priority} is outside 0..7`);
  const sched = p.scheduler;
  if (sched?.nice !== undefined && (sched.nice < -20 || sched.nice > 19)) {
    f.error(`${base}/scheduler/nice`, `${sched.nice} is outside -20..19`);
  }
}

function checkMounts(spec: Spec, f: Findings): void {
  (spec.mounts ?? []).forEach((m, i) => {
    const ptr = `/mounts/${i}`;
    if (!m.destination.startsWith('/')) {
      // runtime-spec 1.2 and runc: taken relative to "/" for compatibility, with a warning.
      f.warn(`${ptr}/destination`, `${JSON.stringify(m.destination)} is not absolute; using "/${m.destination}"`);
    }
    if (!!m.uidMappings !== !!m.gidMappings) {
      f.error(`${ptr}/${m.uidMappings ? 'gidMappings' : 'uidMappings'}`, 'must be set together with ' + (m.uidMappings ? 'uidMappings' : 'gidMappings'));
    }
  });
}

function checkHooks(spec: Spec, f: Findings): void {
  for (const [name, list] of Object.entries(spec.hooks ?? {})) {
    (list ?? []).forEach((h, i) => absolute(f, `/hooks/${tok(name)}/${i}/path`, h.path));
  }
}

function checkLinux(spec: Spec, f: Findings): void {
  const linux = spec.linux ?? {};
  const nsList: Namespace[] = linux.namespaces ?? [];
  const ns = new Map<string, Namespace>();
  nsList.forEach((n, i) => {
    const ptr = `/linux/namespaces/${i}`;
    if (ns.has(n.type)) f.error(ptr, `duplicate namespace type ${JSON.stringify(n.type)}`);
    else ns.set(n.type, n);
    // runc treats an empty path as no path: a new namespace.
    if (n.path) {
      if (!n.path.startsWith('/')) absolute(f, `${ptr}/path`, n.path);
      else if (!fs.existsSync(n.path)) f.error(`${ptr}/path`, `${JSON.stringify(n.path)} does not exist`);
    }
  });
  const has = (t: string) => ns.has(t);
  const newNs = (t: string) => ns.has(t) && !ns.get(t)!.path;

  // User namespace mappings (runc: a new user namespace needs both maps; maps without one are ignored).
  const uid = linux.uidMappings ?? [];
  const gid = linux.gidMappings ?? [];
  if (newNs('user')) {
    if (uid.length === 0) f.error('/linux/uidMappings', 'must not be empty when a new user namespace is created');
    if (gid.length === 0) f.error('/linux/gidMappings', 'must not be empty when a new user namespace is created');
  } else if (uid.length > 0 || gid.length > 0) {
    f.warn(uid.length > 0 ? '/linux/uidMappings' : '/linux/gidMappings', 'ignored without a new user namespace');
  }

  if (spec.hostname && !has('uts')) f.error('/hostname', 'cannot be set without a uts namespace in /linux/namespaces');
  if (spec.domainname && !has('uts')) f.error('/domainname', 'cannot be set without a uts namespace in /linux/namespaces');

  if (linux.timeOffsets && Object.keys(linux.timeOffsets).length > 0) {
    if (!newNs('time')) f.error('/linux/timeOffsets', 'needs a new time namespace (type "time" without path) in /linux/namespaces');
    for (const [clock, off] of Object.entries(linux.timeOffsets)) {
      const ptr = `/linux/timeOffsets/${tok(clock)}`;
      if (!TIME_CLOCKS.includes(clock)) f.error(ptr, `unknown clock ${JSON.stringify(clock)} (must be "monotonic" or "boottime")`);
      if (off.nanosecs !== undefined && off.nanosecs >= 1e9) f.error(`${ptr}/nanosecs`, `${off.nanosecs} is not below 1000000000`);
    }
  }

  checkSysctl(spec, ns, f);

  (linux.devices ?? []).forEach((d, i) => absolute(f, `/linux/devices/${i}/path`, d.path));
  (linux.resources?.devices ?? []).forEach((r, i) => {
    if (r.access !== undefined && !/^[rwm]*$/.test(r.access)) {
      f.error(`/linux/resources/devices/${i}/access`, `${JSON.stringify(r.access)} must be made of r, w and m`);
    }
  });
  (linux.maskedPaths ?? []).forEach((p, i) => absolute(f, `/linux/maskedPaths/${i}`, p));
  (linux.readonlyPaths ?? []).forEach((p, i) => absolute(f, `/linux/readonlyPaths/${i}`, p));
  if (linux.rootfsPropagation && !ROOTFS_PROPAGATIONS.includes(linux.rootfsPropagation)) {
    f.error('/linux/rootfsPropagation', `${JSON.stringify(linux.rootfsPropagation)} must be one of ${ROOTFS_PROPAGATIONS.join(', ')}`);
  }
  const sc = linux.seccomp as { listenerPath?: string; listenerMetadata?: string } | undefined;
  if (sc?.listenerMetadata && !sc.listenerPath) f.error('/linux/seccomp/listenerMetadata', 'must not be set without listenerPath');
}

/** runc's rules: a sysctl is allowed only if a namespace of the container isolates it. */
function checkSysctl(spec: Spec, ns: Map<string, Namespace>, f: Findings): void {
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const ptr = `/linux/sysctl/${tok(key)}`;
    const name = key.replace(/\//g, '.');
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
      if (!ns.has('ipc')) f.error(ptr, 'needs an ipc namespace in /linux/namespaces');
      continue;
    }
    if (name.startsWith('net.')) {
      const net = ns.get('network');
      if (!net) f.error(ptr, 'needs a network namespace in /linux/namespaces');
      else if (net.path && sameFile(net.path, '/proc/self/ns/net')) f.error(ptr, 'not allowed in the host network namespace');
      continue;
    }
    if (ns.has('uts') && name === 'kernel.domainname') continue;
    if (ns.has('uts') && name === 'kernel.hostname') {
      f.error(ptr, 'conflicts with /hostname: set the hostname there');
      continue;
    }
    f.error(ptr, 'is not isolated by a namespace of the container');
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
