// The one cgroups interface of tsrun. Implementations (v1, v2, hybrid) live beside this
// file; callers only ever see CgroupManager and CgroupRef.
import fs from 'node:fs';
import path from 'node:path';
import type { Device, LinuxResources } from '../../oci/types';
import { TsrunError } from '../../common/errors';
import { CGROUP_ROOT, UNIFIED_HYBRID, V1_CONTROLLERS, detectMode, hostHierarchies, ownCgroups, type Hierarchy } from './host';
import { dirIn, innerPath } from './paths';
import { writeCg } from './fsutil';
import type { CgroupManager, CgroupOptions, CgroupRef, ManagerExtras } from './types';
import { V1Manager } from './v1';
import { V2Manager } from './v2';
import { SystemdManager, systemdBooted, userManagerCgroup } from './systemd';

export { detectMode } from './host';
export type { CgroupMode } from './host';
export { cleanPath, expandSlice, systemdPath } from './paths';
export * from './convert';
export type { CgroupManager, CgroupOptions, CgroupRef, ManagerExtras } from './types';
export type { Stats } from './stats';
export type { OomWatch } from './oom';

/**
 * Resolve where a container's cgroups go, the way runc 1.1 does (checked on this host):
 * absolute "/a/b" lands under every hierarchy's mountpoint; relative "a/b" and the
 * default (the container id) land under tsrun's own cgroup in each hierarchy (on pure v2,
 * under its parent, since our own cgroup holds processes); --systemd-cgroup maps
 * "slice:prefix:name" to the unit's path. Nothing is created until apply().
 */
export function newCgroup(opts: CgroupOptions): CgroupManager {
  const mode = detectMode();
  let inner = innerPath(opts);
  const sd = !!opts.systemd && systemdBooted();
  if (sd && opts.rootless) {
    // The user's own systemd makes the scope, below its cgroup (runc does the same).
    if (mode !== 'v2') throw new TsrunError('--systemd-cgroup for a rootless container needs a pure cgroup v2 host');
    inner = path.posix.join(userManagerCgroup(), inner);
  }
  const hs = hostHierarchies();
  const own = ownCgroups();
  const dirs: Record<string, string> = {};
  let refPath: string | undefined;
  if (mode === 'v2') {
    const h = hs.find((x) => x.v2 && x.mountpoint === CGROUP_ROOT)!;
    const dir = dirIn(h, inner, path.posix.dirname(own.get('') ?? '/'));
    dirs.unified = dir;
    refPath = '/' + path.posix.relative(h.mountpoint, dir);
  } else {
    for (const h of hs) {
      if (h.v2) continue;
      for (const c of h.controllers) {
        if (!V1_CONTROLLERS.includes(c) || dirs[c]) continue;
        dirs[c] = dirIn(h, inner, own.get(c));
        if (c === 'freezer' || refPath === undefined) refPath = '/' + path.posix.relative(h.mountpoint, dirs[c]);
      }
    }
    if (mode === 'hybrid') {
      const h = hs.find((x) => x.v2 && x.mountpoint === UNIFIED_HYBRID)!;
      dirs.unified = dirIn(h, inner, own.get(''));
    }
    if (!Object.keys(dirs).length) throw new TsrunError('cgroup: no cgroup hierarchy is mounted under /sys/fs/cgroup');
  }
  const ref: CgroupRef = { mode, path: refPath ?? '/' + inner.replace(/^\//, ''), dirs };
  // --systemd-cgroup where systemd runs: the cgroup is a scope unit systemd makes. Without
  // systemd (this development VM) only the unit's path is used, through cgroupfs.
  if (sd) ref.systemd = { unit: path.posix.basename(inner), id: opts.id, ...(opts.rootless ? { user: true } : {}) };
  return openCgroup(ref, opts, true);
}

/**
 * Start the kernel's once-per-burst wait early. The first cgroup migration after a quiet
 * spell waits for an RCU grace period (rcu_sync_enter in cgroup_procs_write_start: ~5-25 ms
 * on this VM); migrations within ~10 ms after one do not. create calls this as soon as it
 * is committed to launching: a no-op move of tsrun into the cgroup it is already in,
 * written from libuv's thread pool, sits out that wait while the main thread loads the FFI
 * and builds the plan, so moving stage 1 afterwards is quick. Not on pure v2, where stage 1
 * is born in its cgroup (birthDir) and nothing migrates. Best effort: any error (rootless,
 * no cgroupfs) only means stage 1's own move waits, as it did before.
 */
export function primeMigration(): void {
  let target: string | undefined;
  try {
    if (detectMode() === 'v2') return;
    const own = ownCgroups();
    const mine = (h: Hierarchy) => own.get(h.v2 ? '' : (h.controllers.find((c) => own.has(c)) ?? '\0'));
    // Only a mount that shows our own cgroup (its root at or above it): elsewhere, e.g.
    // a parent's cgroupfs seen from a child cgroup namespace, the path would name another
    // cgroup and the write would really move tsrun.
    const under = (h: Hierarchy, p: string | undefined) => p !== undefined && (h.root === '/' || p === h.root || p.startsWith(`${h.root}/`));
    const h = hostHierarchies().find((x) => under(x, mine(x)));
    if (h) target = path.join(dirIn(h, '', mine(h)), 'cgroup.procs');
  } catch {
    return;
  }
  if (!target) return;
  // Opened here, written by ONE pool request that starts at once (fs.writeFile would queue
  // its write behind the busy main thread's event loop).
  let fd: number;
  try {
    fd = fs.openSync(target, fs.constants.O_WRONLY);
  } catch {
    return;
  }
  fs.write(fd, String(process.pid), () => fs.close(fd, () => {}));
}

/** Rebuild a manager from what state.json recorded. */
export function openCgroup(ref: CgroupRef, extras: ManagerExtras & { resources?: LinuxResources } = {}, fresh = false): CgroupManager {
  let m: CgroupManager;
  if (ref.mode === 'v2') {
    if (!ref.dirs.unified) throw new TsrunError(`cgroup: state records a v2 cgroup without a directory (path ${ref.path})`);
    m = new V2Manager(ref, extras);
  } else m = new V1Manager(ref, extras);
  return ref.systemd ? new SystemdManager(m, extras.resources, fresh) : m;
}

/**
 * Signal every process of the container (kill --all): freeze so nothing forks while we
 * walk cgroup.procs, signal, then thaw. A container that was already paused stays paused,
 * except for SIGKILL, which a v1-frozen task only acts on once thawed.
 */
export function killAll(mgr: CgroupManager, signal: NodeJS.Signals | number): void {
  const wasFrozen = mgr.isFrozen();
  let froze = false;
  try {
    if (!wasFrozen) {
      mgr.freeze();
      froze = true;
    }
  } catch {
    // No freezer: signal without it (racy against forks, as runc is without one).
  }
  try {
    for (const pid of mgr.pids()) {
      try {
        process.kill(pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') {
          throw new TsrunError(`kill --all: signal ${String(signal)} to pid ${pid}: ${(e as NodeJS.ErrnoException).code}`);
        }
      }
    }
  } finally {
    const isKill = signal === 'SIGKILL' || signal === 9;
    if (froze || (wasFrozen && isKill)) mgr.thaw();
  }
}

/**
 * `exec --cgroup`: runc's [<controller>:]<path> list, resolved to the directory the process
 * joins in each of the container's hierarchies (its own where the list says nothing). A
 * path names an existing sub-cgroup of the container's; a controller can only be named on
 * v1/hybrid hosts. Errors are thrown before anything is started.
 */
export function subCgroupTargets(ref: CgroupRef, specs: readonly string[]): Array<{ ctrl: string; dir: string }> {
  let all: string | undefined;
  const byCtrl = new Map<string, string>();
  const known = new Set(Object.keys(ref.dirs).flatMap((k) => k.split(',')));
  for (const s of specs) {
    const parts = s.split(':');
    if (parts.length > 2) throw new TsrunError(`invalid --cgroup argument: ${s}`);
    // As runc: a path without a controller applies to all, so it must be the only one.
    if (parts.length === 1 && specs.length > 1) throw new TsrunError(`invalid --cgroup argument: ${s} (missing <controller>: prefix)`);
    const [ctrls, sub] = parts.length === 1 ? ['', s] : parts;
    const clean = path.posix.normalize(sub);
    if (!sub || path.posix.isAbsolute(sub) || clean === '.' || clean === '..' || clean.startsWith('../')) {
      throw new TsrunError(`exec --cgroup ${s}: ${JSON.stringify(sub)} is not a sub cgroup path`);
    }
    if (!ctrls) {
      all = clean;
      continue;
    }
    if (ref.mode === 'v2') throw new TsrunError(`exec --cgroup ${s}: a controller cannot be named on a cgroup v2 host (use --cgroup ${sub})`);
    for (const ctrl of ctrls.split(',')) {
      if (!known.has(ctrl)) throw new TsrunError(`exec --cgroup ${s}: unknown controller ${ctrl}`);
      byCtrl.set(ctrl, clean);
    }
  }
  const byDir = new Map<string, string[]>();
  for (const [ctrl, dir] of Object.entries(ref.dirs)) byDir.set(dir, [...(byDir.get(dir) ?? []), ctrl]);
  const out: Array<{ ctrl: string; dir: string }> = [];
  for (const [dir, ctrls] of byDir) {
    // Co-mounted controllers share one directory, so they must share one path.
    const subs = new Set(ctrls.flatMap((c) => c.split(',')).flatMap((c) => byCtrl.get(c) ?? []));
    if (subs.size > 1) throw new TsrunError(`exec --cgroup: ${ctrls.join(',')} share ${dir} but were given different paths`);
    const sub = [...subs][0] ?? all;
    out.push({ ctrl: ctrls.join(','), dir: sub ? path.join(dir, sub) : dir });
  }
  for (const t of out) {
    if (!fs.existsSync(path.join(t.dir, 'cgroup.procs'))) throw new TsrunError(`exec --cgroup: cgroup ${t.dir} does not exist`);
  }
  return out;
}

/** Move pid into the directories subCgroupTargets chose. */
export function joinCgroupDirs(targets: ReadonlyArray<{ ctrl: string; dir: string }>, pid: number): void {
  for (const t of targets) writeCg(t.dir, 'cgroup.procs', String(pid), t.ctrl);
}

