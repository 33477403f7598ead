// Turn a validated config into the flat launch plan the shim executes (native-shim/plan.h).
// Everything that needs a lookup (flags, numbers, paths, masks) is resolved here, so the
// forked children only run raw syscalls. buildPlan/buildExecPlan are pure: what they need
// to know about the host comes in as HostFacts (probeHost reads it); the encoding is
// plan-wire.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Device, Hook, IdMapping, Mount, NamespaceType, Process, Spec } from '../oci/types';
import { TsrunError } from '../common/errors';
import { CAPABILITIES, capMask } from './capabilities';
import { MS, parseMountOptions, type ParsedMountOptions } from './mount-options';
import { RLIMITS } from './rlimits';
import { compileSeccomp, SECCOMP_FILTER_FLAG_NEW_LISTENER } from './seccomp';
import { hostHierarchies, ownCgroups } from './cgroups/host';
import { dirIn } from './cgroups/paths';
import type { CgroupRef } from './cgroups/types';
import { HOOK_PHASE, MNT_IDMAP, MNT_IDMAP_REC, MNT_IS_FILE, MNT_MASK_IF_MISSING, MNT_NO_CREATE, MNT_TMPCOPYUP, MNT_USERNS_SHIFT, OP, PlanWriter } from './plan-wire';

export const CLONE_FLAGS: Record<NamespaceType, number> = {
  mount: 0x00020000, uts: 0x04000000, ipc: 0x08000000, user: 0x10000000,
  pid: 0x20000000, network: 0x40000000, cgroup: 0x02000000, time: 0x00000080,
};

export interface PlanInput {
  id: string;
  spec: Spec;
  rootfs: string;
  bundle: string;
  fifoPath: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** The container's cgroups (for bind-mounting cgroupfs without a cgroup namespace). */
  cgroup?: CgroupRef;
  /** Rootless: the container may end up without a cgroup of its own (cgroup mounts mask then). */
  rootless?: boolean;
}

/** What a plan depends on besides the config: read by probeHost, faked by tests. */
export interface HostFacts {
  /** The host's cgroup v1 hierarchies (empty on pure v2), for cgroup mounts; ownDir: tsrun's own cgroup there. */
  cgroupV1: { mountpoint: string; controllers: string[]; ownDir?: string }[];
  /** tsrun's own capability bounding set: the capabilities it may grant. */
  capBounding: bigint;
  appArmor: boolean;
  selinux: boolean;
  /** /proc/kcore exists (a mounted /dev gets a /dev/core link to it). */
  kcore: boolean;
  /** Bind-mount sources of the config, resolved against the bundle; absent: does not exist. */
  bindSources: Record<string, 'dir' | 'file'>;
}

/**
 * Read the host facts a plan for `spec` needs. Only what the config can use is read (each
 * read is start-up time); facts not read are false/empty and never consulted.
 */
export function probeHost(spec: Pick<Spec, 'process' | 'mounts' | 'linux'>, bundle: string): HostFacts {
  const mounts = spec.mounts ?? [];
  const proc = spec.process;
  const bindSources: HostFacts['bindSources'] = {};
  let cgroupMount = false;
  for (const m of mounts) {
    if (m.type === 'cgroup' || m.type === 'cgroup2') cgroupMount = true;
    else if ((parseMountOptions(m.options).flags & MS.BIND) !== 0 || m.type === 'bind') {
      const source = bindSource(m, bundle);
      try {
        bindSources[source] = fs.statSync(source).isDirectory() ? 'dir' : 'file';
      } catch {
        /* absent: buildPlan reports it */
      }
    }
  }
  const devMounted = mounts.some((m) => path.posix.normalize(m.destination) === '/dev');
  return {
    cgroupV1: cgroupMount ? v1Hierarchies() : [],
    capBounding: ownBoundingSet(),
    appArmor: proc?.apparmorProfile ? appArmorEnabled() : false,
    selinux: proc?.selinuxLabel || spec.linux?.mountLabel ? fs.existsSync('/sys/fs/selinux/enforce') : false,
    kcore: devMounted && fs.existsSync('/proc/kcore'),
    bindSources,
  };
}

/** The v1 hierarchies with tsrun's own cgroup in each (what a process it starts inherits). */
function v1Hierarchies(): HostFacts['cgroupV1'] {
  const own = ownCgroups();
  return hostHierarchies()
    .filter((h) => !h.v2)
    .map((h) => {
      const mine = h.controllers.map((c) => own.get(c)).find((p) => p !== undefined);
      return { mountpoint: h.mountpoint, controllers: h.controllers, ownDir: mine === undefined ? undefined : dirIn(h, '', mine) };
    });
}

function bindSource(m: Mount, bundle: string): string {
  const source = m.source ?? '';
  return path.isAbsolute(source) ? source : path.resolve(bundle, source);
}

export interface Plan {
  bytes: Buffer;
  /** Things tsrun adjusted rather than failed on (spec: log a warning). */
  warnings: string[];
  /** Whether stage 1 will ask the parent for uid/gid maps. */
  newUserNs: boolean;
}

export const DEFAULT_DEVICES: Device[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function buildPlan(input: PlanInput, host: HostFacts = probeHost(input.spec, input.bundle)): Plan {
  const { spec } = input;
  const linux = spec.linux ?? {};
  const proc = spec.process!;
  const w = new PlanWriter();
  const namespaces = linux.namespaces ?? [];
  const has = (t: NamespaceType) => namespaces.some((n) => n.type === t);
  const newNs = (t: NamespaceType) => namespaces.some((n) => n.type === t && !n.path);
  const userNs = has('user');

  refuseUnsupported(spec, host);
  const warnings: string[] = [];
  const mountNs = has('mount');
  if (!mountNs && spec.root?.readonly) {
    // Without a mount namespace a read-only remount of "/" would hit the host's root.
    throw new TsrunError('config.json: /root/readonly: needs a mount namespace in /linux/namespaces');
  }

  // ---- stage 1: fds the init needs, opened as host root (a user namespace root may not
  // reach them), then namespaces ----
  w.op(OP.OPEN_FIFO, [], [input.fifoPath]);
  addConsoleConnect(w, proc, input.consoleSocket);
  addSeccompListener(w, linux.seccomp);
  const idmapSlots = addIdmapUserns(w, spec);
  const joinUser = namespaces.find((n) => n.type === 'user' && n.path);
  if (joinUser) w.op(OP.SETNS, [CLONE_FLAGS.user], [joinUser.path!]);
  for (const ns of namespaces) {
    if (ns.path && ns.type !== 'user') w.op(OP.SETNS, [CLONE_FLAGS[ns.type]], [ns.path]);
  }
  const newUserNs = newNs('user');
  if (newUserNs) w.op(OP.UNSHARE_USER);
  let flags = 0;
  for (const ns of namespaces) if (!ns.path && ns.type !== 'user') flags |= CLONE_FLAGS[ns.type];
  if (flags) w.op(OP.UNSHARE, [flags]);
  if (newNs('time') && linux.timeOffsets) {
    const lines = Object.entries(linux.timeOffsets).map(
      ([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`,
    );
    w.op(OP.TIMENS_OFFSETS, [], [lines.join('')]);
  }
  w.op(OP.CLONE_INIT);

  // ---- init: rootfs ----
  w.op(OP.WAIT_PARENT);
  // Without a mount namespace (runc allows it) mounts land in the host's namespace under the
  // rootfs and the root is entered with a plain chroot: no propagation change, no pivot.
  const rootProp = linux.rootfsPropagation ? parseMountOptions([linux.rootfsPropagation]).propagation : MS.SLAVE | MS.REC;
  // pivot_root refuses a shared mount and an unbindable "/" cannot be bind-mounted from:
  // start from rslave and apply those after the pivot.
  const sharedRoot = (rootProp & (MS.SHARED | MS.UNBINDABLE)) !== 0;
  if (mountNs) {
    w.op(OP.SET_MOUNT_PROPAGATION, [sharedRoot ? MS.SLAVE | MS.REC : rootProp]);
    w.op(OP.BIND_ROOTFS, [], [input.rootfs]);
  }
  w.op(OP.CHROOT_PREP, [], [input.rootfs]);

  let devMounted = false;
  const readOnlyLast: Array<() => void> = [];
  for (const m of spec.mounts ?? []) {
    if (path.posix.normalize(m.destination) === '/dev') devMounted = true;
    const later = addMount(w, m, input, newNs('cgroup'), host, idmapSlots.get(m));
    if (later) readOnlyLast.push(later);
  }
  addDevices(w, linux.devices ?? [], userNs, devMounted, host);

  if (proc.terminal) w.op(OP.OPEN_PTY, [proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0]);
  w.op(OP.MKDIR, [0o755], [proc.cwd]);

  addHooks(w, 'createContainer', spec.hooks?.createContainer);
  addHooks(w, 'startContainer', spec.hooks?.startContainer);
  // Before pivot, so that no path is looked up in the container's /proc by name (the shim
  // resolves /proc paths beneath the procfs it mounted, and /proc/self/fd links in the
  // host's); read-only paths before masks, so a mask never lands in a tree made read-only
  // after it.
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    w.op(OP.WRITE, [0], ['/proc/sys/' + key.replace(/\./g, '/'), value]);
  }
  for (const p of linux.readonlyPaths ?? []) w.op(OP.READONLY, [], [p]);
  for (const p of linux.maskedPaths ?? []) w.op(OP.MASK, [], [p]);
  w.op(OP.PIVOT, [!mountNs ? 2 : input.noPivot ? 1 : 0]);
  if (mountNs && sharedRoot) w.op(OP.SET_MOUNT_PROPAGATION, [rootProp]);
  for (const remount of readOnlyLast) remount();

  // ---- init: after pivot ----
  if (spec.root?.readonly) w.op(OP.REMOUNT_ROOT_RO);
  if (linux.personality) {
    const domain = (linux.personality as { domain?: string }).domain;
    if (domain !== 'LINUX' && domain !== 'LINUX32') throw new TsrunError(`config.json: /linux/personality/domain: unsupported "${domain}"`);
    w.op(OP.PERSONALITY, [domain === 'LINUX32' ? 0x0008 : 0]);
  }
  if (spec.hostname !== undefined && spec.hostname !== '') w.op(OP.SETHOSTNAME, [], [spec.hostname]);
  if (spec.domainname !== undefined && spec.domainname !== '') w.op(OP.SETDOMAINNAME, [], [spec.domainname]);
  addProcess(w, proc, { id: input.id, noNewKeyring: input.noNewKeyring, preserveFds: input.preserveFds, exec: false, seccomp: linux.seccomp, warnings }, host);
  return { bytes: w.build(), newUserNs, warnings };
}

/** The per-process part of a launch, shared by create and exec: from oom_score_adj to execve. */
function addProcess(
  w: PlanWriter,
  proc: Process,
  o: { id: string; noNewKeyring: boolean; preserveFds: number; exec: boolean; seccomp?: unknown; warnings?: string[] },
  host: HostFacts,
) {
  const filter = compileSeccomp(o.seccomp);
  if (proc.oomScoreAdj !== undefined) w.op(OP.WRITE, [0], ['/proc/self/oom_score_adj', String(proc.oomScoreAdj)]);
  for (const [i, r] of (proc.rlimits ?? []).entries()) {
    const res = RLIMITS[r.type];
    if (res === undefined) throw new TsrunError(`config.json: /process/rlimits/${i}/type: unknown rlimit "${r.type}"`);
    w.op(OP.RLIMIT, [res, rlimitValue(r.soft), rlimitValue(r.hard)]);
  }
  // Named as runc names it, so tools that look for a container's keyring find ours.
  if (!o.noNewKeyring) w.op(OP.KEYRING, [], [`_ses.${o.id}`]);
  // A new session detaches the container from the caller's terminal (with a pty, OPEN_PTY did it).
  if (!proc.terminal && !o.exec) w.op(OP.SETSID);
  w.op(OP.CHDIR, [], [proc.cwd]);

  if (proc.apparmorProfile) {
    // Like runc: the profile applies at execve; a host without AppArmor cannot honour it.
    if (!host.appArmor) throw new TsrunError(`config.json: /process/apparmorProfile: "${proc.apparmorProfile}" given but AppArmor is not enabled on this host`);
    w.op(OP.WRITE, [0], ['/proc/self/attr/apparmor/exec', `exec ${proc.apparmorProfile}`]);
  }
  // selinuxLabel is ignored where SELinux is disabled, as runc's label calls are no-ops there.
  if (proc.selinuxLabel && host.selinux) {
    throw new TsrunError('config.json: /process/selinuxLabel: SELinux labels are not supported by tsrun yet');
  }

  // Without no_new_privs the filter needs CAP_SYS_ADMIN to load: load it while still root
  // (runc does the same); with it, load it right before execve.
  w.op(OP.CLOSE_FDS, [o.preserveFds]);
  const seccompOp = filter && w.opArgs(OP.SECCOMP, [filter.flags, filter.filter.length / 8, proc.noNewPrivileges ? 1 : 0], [filter.filter.toString('hex')]);
  if (seccompOp && !proc.noNewPrivileges) seccompOp();

  // Spec: capabilities that cannot be granted (unknown, or outside tsrun's own bounding set)
  // are a warning, not a failure.
  const caps = proc.capabilities ?? {};
  const held = host.capBounding;
  const mask = (set: keyof typeof caps): bigint => {
    const { mask: m, unknown } = capMask(caps[set]);
    for (const name of unknown) o.warnings?.push(`capability ${name} (${set}) is unknown to tsrun: ignored`);
    const lost = m & ~held;
    if (lost) o.warnings?.push(`capabilities ${capNames(lost)} (${set}) are not held by tsrun: ignored`);
    return m & held;
  };
  const bounding = mask('bounding');
  w.op(OP.BOUNDING, [bounding & 0xffffffffn, bounding >> 32n]);
  const user = proc.user;
  w.op(OP.USER, [user.uid, user.gid, user.additionalGids?.length ?? 0]);
  for (const g of user.additionalGids ?? []) w.op(OP.STR, [g], [String(g)]);
  const permitted = mask('permitted');
  const inheritable = mask('inheritable');
  let ambient = mask('ambient');
  // The kernel raises an ambient capability only if it is permitted and inheritable. runc 1.1
  // ignores the failure (`runc spec` lists ambient caps but no inheritable set): drop them too.
  const unraisable = ambient & ~(permitted & inheritable);
  if (unraisable) {
    o.warnings?.push(`ambient capabilities ${capNames(unraisable)} are not in both the permitted and inheritable sets: not raised`);
    ambient &= ~unraisable;
  }
  w.op(OP.CAPS, [mask('effective'), permitted, inheritable, ambient]);
  w.op(OP.UMASK, [user.umask ?? 0o022]);
  if (proc.noNewPrivileges) w.op(OP.NO_NEW_PRIVS);
  if (seccompOp && proc.noNewPrivileges) seccompOp();

  const env = proc.env ?? [];
  const pathVar = env.filter((e) => e.startsWith('PATH=')).pop()?.slice(5) ?? DEFAULT_PATH;
  const args = proc.args ?? [];
  w.op(OP.EXEC, [args.length, env.length, 0, o.exec ? 1 : 0], [pathVar]);
  w.list(args).list(env);
}

/** An rlimit value for the shim's int64: JSON numbers are doubles, so 2^64-1 (runc's
 *  RLIM_INFINITY) arrives as 2^64 and would wrap to 0. Doubles that large cannot say which
 *  uint64 was meant, and no real limit is that high: every value from 2^63 up is
 *  RLIM_INFINITY. */
export function rlimitValue(v: number): bigint {
  const n = BigInt(Math.trunc(v));
  return n >= 1n << 63n ? -1n : n;
}

/** Config that tsrun cannot honour is an error, never silently ignored. */
function refuseUnsupported(spec: Spec, host: HostFacts): void {
  const linux = spec.linux ?? {};
  if (linux.intelRdt) throw new TsrunError('config.json: /linux/intelRdt: Intel RDT is not supported by tsrun');
  (spec.mounts ?? []).forEach((m, i) => {
    if ((m.uidMappings || m.gidMappings) && !parseMountOptions(m.options).idmap) {
      throw new TsrunError(`config.json: /mounts/${i}: uidMappings/gidMappings need the "idmap" or "ridmap" option`);
    }
  });
  if (linux.mountLabel && host.selinux) {
    throw new TsrunError('config.json: /linux/mountLabel: SELinux labels are not supported by tsrun yet');
  }
}

/** The capabilities tsrun itself may grant: its bounding set (CapBnd in /proc/self/status). */
function ownBoundingSet(): bigint {
  try {
    const m = fs.readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s*([0-9a-f]+)$/m);
    if (m) return BigInt('0x' + m[1]);
  } catch {
    /* no /proc: assume everything */
  }
  return (1n << 64n) - 1n;
}

function capNames(mask: bigint): string {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n).join(', ');
}

function appArmorEnabled(): boolean {
  try {
    return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Namespace file names under /proc/<pid>/ns. */
const NS_FILES: Record<NamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

export interface ExecPlanInput {
  id: string;
  /** Host pid of the container init, whose namespaces the process joins. */
  initPid: number;
  namespaces: NamespaceType[];
  process: Process;
  consoleSocket?: string;
  noNewKeyring: boolean;
  preserveFds: number;
  /** The container's linux.seccomp: an exec'd process gets the same filter. */
  seccomp?: unknown;
  /** Filled with what was adjusted rather than failed on (the caller logs them). */
  warnings?: string[];
}

/** `tsrun exec`: join every namespace of the container, then the same process setup as create. */
export function buildExecPlan(input: ExecPlanInput, host: HostFacts = probeHost({ process: input.process }, '')): Buffer {
  const w = new PlanWriter();
  addConsoleConnect(w, input.process, input.consoleSocket);
  addSeccompListener(w, input.seccomp);
  const order = [...input.namespaces].sort((a, b) => Number(b === 'user') - Number(a === 'user'));
  for (const t of order) w.op(OP.SETNS, [CLONE_FLAGS[t]], [`/proc/${input.initPid}/ns/${NS_FILES[t]}`]);
  w.op(OP.CLONE_INIT);
  w.op(OP.WAIT_PARENT);
  if (input.process.terminal) {
    w.op(OP.OPEN_PTY, [input.process.consoleSize?.height ?? 0, input.process.consoleSize?.width ?? 0, 1]);
  }
  addProcess(w, input.process, { id: input.id, noNewKeyring: input.noNewKeyring, preserveFds: input.preserveFds, exec: true, seccomp: input.seccomp, warnings: input.warnings }, host);
  return w.build();
}

/** Stage 1 connects to linux.seccomp.listenerPath (as host root) when a rule notifies. */
function addSeccompListener(w: PlanWriter, seccomp: unknown): void {
  const filter = compileSeccomp(seccomp);
  if (filter && filter.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    w.op(OP.SECCOMP_LISTENER, [], [(seccomp as { listenerPath: string }).listenerPath]);
  }
}

/** Stage 1 connects to --console-socket (as host root) when, and only when, there is a terminal. */
function addConsoleConnect(w: PlanWriter, proc: Process, consoleSocket: string | undefined): void {
  if (proc.terminal) {
    if (!consoleSocket) throw new TsrunError('process.terminal is true: --console-socket is required');
    w.op(OP.CONSOLE_CONNECT, [], [consoleSocket]);
  } else if (consoleSocket) {
    throw new TsrunError('--console-socket given but process.terminal is false');
  }
}

/** Hooks the container init runs (oci/hooks.ts: namespace 'container'). */
function addHooks(w: PlanWriter, kind: keyof typeof HOOK_PHASE, hooks: Hook[] | undefined) {
  const phase = HOOK_PHASE[kind];
  for (const h of hooks ?? []) {
    const args = h.args ?? [h.path];
    const env = h.env ?? [];
    w.op(OP.HOOK, [phase, h.timeout ?? 0, args.length, env.length], [h.path]);
    w.list(args).list(env);
  }
}

/**
 * Stage 1 makes one user namespace per id-mapped mount (idmap/ridmap), with the mount's
 * mappings or else the container's; returns each such mount's slot.
 */
function addIdmapUserns(w: PlanWriter, spec: Spec): Map<Mount, number> {
  const slots = new Map<Mount, number>();
  const fmt = (maps: IdMapping[]) => maps.map((x) => `${x.containerID} ${x.hostID} ${x.size}\n`).join('');
  (spec.mounts ?? []).forEach((m, i) => {
    const { idmap, flags } = parseMountOptions(m.options);
    if (!idmap) return;
    if (m.type !== 'bind' && !(flags & MS.BIND)) throw new TsrunError(`config.json: /mounts/${i}: ${idmap} needs a bind mount`);
    const uid = m.uidMappings ?? spec.linux?.uidMappings;
    const gid = m.gidMappings ?? spec.linux?.gidMappings;
    if (!uid?.length || !gid?.length) {
      throw new TsrunError(`config.json: /mounts/${i}: ${idmap} needs uidMappings and gidMappings (on the mount, or the container's)`);
    }
    w.op(OP.IDMAP_USERNS, [slots.size], [fmt(uid), fmt(gid)]);
    slots.set(m, slots.size);
  });
  return slots;
}

/** Emits the mount; returns the op to emit after the pivot for a mount made read-only last. */
function addMount(w: PlanWriter, m: Mount, input: PlanInput, cgroupNs: boolean, host: HostFacts, idmapSlot?: number): (() => void) | undefined {
  const opts = parseMountOptions(m.options);
  const later = addMountOnly(w, m, opts, input, cgroupNs, host, idmapSlot);
  // runc's recursive r* options: the mount and every mount below it.
  if (opts.attrSet || opts.attrClr) w.op(OP.MOUNT_SETATTR, [opts.attrSet, opts.attrClr], [m.destination]);
  return later;
}

function addMountOnly(
  w: PlanWriter, m: Mount, opts: ParsedMountOptions, input: PlanInput, cgroupNs: boolean, host: HostFacts, idmapSlot?: number,
): (() => void) | undefined {
  const isBind = (opts.flags & MS.BIND) !== 0 || m.type === 'bind';
  const where = `config.json: /mounts/${(input.spec.mounts ?? []).indexOf(m)}`;
  if (opts.tmpcopyup && m.type !== 'tmpfs') throw new TsrunError(`${where}: tmpcopyup needs a tmpfs mount (type is "${m.type ?? ''}")`);
  if (m.type === 'cgroup' || m.type === 'cgroup2') {
    addCgroupMount(w, m, opts.flags, cgroupNs, host, input.cgroup, input.rootless);
    return undefined;
  }
  let source = m.source ?? '';
  let bits = opts.tmpcopyup ? MNT_TMPCOPYUP : 0;
  if (isBind) {
    source = bindSource(m, input.bundle);
    const kind = host.bindSources[source];
    if (!kind) throw new TsrunError(`mount ${m.destination}: bind source ${source} does not exist`);
    if (kind !== 'dir') bits |= MNT_IS_FILE;
    if (idmapSlot !== undefined) bits |= MNT_IDMAP | (opts.idmap === 'ridmap' ? MNT_IDMAP_REC : 0) | (idmapSlot << MNT_USERNS_SHIFT);
    const bindFlags = MS.BIND | (opts.flags & MS.REC);
    const rest = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    // A bind mount ignores other flags: apply them with a remount.
    const remount = rest ? MS.BIND | MS.REMOUNT | rest | (opts.flags & MS.REC) : 0;
    w.op(OP.MOUNT, [bindFlags, remount, opts.propagation, bits], [source, m.destination, '', '']);
    return undefined;
  }
  const data = opts.data.join(',');
  if (opts.flags & MS.RDONLY && (m.type === 'tmpfs' || path.posix.normalize(m.destination) === '/dev')) {
    // As runc: a read-only tmpfs (/dev above all) is mounted read-write so that what goes
    // below it (/dev/pts, /dev/shm, device nodes, /dev/console) can be made, and is
    // remounted read-only once the root is set up.
    w.op(OP.MOUNT, [opts.flags & ~MS.RDONLY, 0, opts.propagation, bits], [source, m.destination, m.type ?? '', data]);
    return w.opArgs(OP.MOUNT, [MS.REMOUNT | opts.flags, 0, 0, MNT_NO_CREATE], ['', m.destination, '', data]);
  }
  w.op(OP.MOUNT, [opts.flags, 0, opts.propagation, bits], [source, m.destination, m.type ?? '', data]);
  return undefined;
}

function addCgroupMount(w: PlanWriter, m: Mount, flags: number, cgroupNs: boolean, host: HostFacts, cg?: CgroupRef, rootless = false) {
  const dest = m.destination;
  const ro = flags & MS.RDONLY;
  const base = flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME);
  // The host's v1 hierarchies (probeHost: the cgroups module's cached mountinfo read).
  const hierarchies = host.cgroupV1;
  if (hierarchies.length === 0 || m.type === 'cgroup2') {
    // Pure v2: the container sees its own cgroup as the root (with a cgroup namespace), else bind it.
    if (cgroupNs) w.op(OP.MOUNT, [flags, 0, 0, 0], ['cgroup2', dest, 'cgroup2', '']);
    // Rootless without a cgroup of its own (apply() found no permission): runc masks the
    // destination with an empty read-only tmpfs instead; the shim decides when it mounts.
    else w.op(OP.MOUNT, [MS.BIND | MS.REC, ro ? MS.BIND | MS.REMOUNT | flags : 0, 0, rootless ? MNT_MASK_IF_MISSING : 0], [cg?.dirs.unified ?? path.join('/sys/fs/cgroup', cg?.path ?? ''), dest, '', '']);
    return;
  }
  // v1: a tmpfs with one mount per hierarchy, like runc.
  w.op(OP.MOUNT, [base, 0, 0, 0], ['tmpfs', dest, 'tmpfs', 'mode=755']);
  for (const h of hierarchies) {
    const sub = path.posix.join(dest, path.basename(h.mountpoint));
    if (cgroupNs) {
      w.op(OP.MOUNT, [base | ro, 0, 0, 0], ['cgroup', sub, 'cgroup', h.controllers.join(',')]);
    } else {
      // The directory the manager joined in this hierarchy (a relative or default cgroupsPath
      // sits under tsrun's own cgroup, which differs per hierarchy), else the one inherited.
      const joined = h.controllers.map((c) => cg?.dirs[c]).find((d) => d);
      const src = joined ?? h.ownDir ?? path.join(h.mountpoint, cg?.path ?? '');
      w.op(OP.MOUNT, [MS.BIND | MS.REC, MS.BIND | MS.REMOUNT | base | ro, 0, 0], [src, sub, '', '']);
    }
  }
  if (ro) w.op(OP.MOUNT, [MS.REMOUNT | base | MS.RDONLY, 0, 0, MNT_NO_CREATE], ['', dest, '', 'mode=755']);
}

function addDevices(w: PlanWriter, devices: Device[], userNs: boolean, devMounted: boolean, host: HostFacts) {
  const configured = new Set(devices.map((d) => path.posix.normalize(d.path)));
  const all = [...DEFAULT_DEVICES.filter((d) => !configured.has(d.path)), ...devices];
  for (const d of all) {
    if (userNs) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      w.op(OP.MOUNT, [MS.BIND, 0, 0, MNT_IS_FILE], [d.path, d.path, '', '']);
      continue;
    }
    const type = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
    const dev = d.type === 'p' ? 0n : makedev(d.major ?? 0, d.minor ?? 0);
    w.op(OP.MKNOD, [type | (d.fileMode ?? 0o666), dev, d.uid ?? 0, d.gid ?? 0], [d.path]);
  }
  if (!devMounted) return;
  for (const [target, link] of [
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
    ['pts/ptmx', '/dev/ptmx'],
  ]) {
    w.op(OP.SYMLINK, [], [target, link]);
  }
  if (host.kcore) w.op(OP.SYMLINK, [], ['/proc/kcore', '/dev/core']);
}
