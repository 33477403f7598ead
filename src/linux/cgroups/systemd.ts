// The systemd cgroup driver (--systemd-cgroup on a host booted with systemd): the container's
// cgroup is a transient scope unit that systemd creates, tracks and protects, as runc does.
// create: StartTransientUnit(<prefix>-<name>.scope, PIDs=[stage 1], Delegate=yes, Slice=,
// the resource properties systemd understands); delete: StopUnit + ResetFailedUnit. The
// cgroup files are then handled by the v1/v2 manager underneath (set() writes every file
// too, so what systemd has no property for, e.g. unified keys and device eBPF, is applied).
//
// D-Bus client: busctl(1), systemd's own, called synchronously: create's cgroup step sits
// between the fork of stage 1 and its GO and is synchronous code. The npm client (dbus-next:
// 0.10, seven dependencies incl. xml2js and event-stream) is async-only and would load its
// JS on every create; busctl ships in the systemd package, so it is there wherever this
// driver can work at all. Cost: one process start per call (create: 1, delete: 2).
import type { SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import type { LinuxResources } from '../../oci/types';
import { TsrunError } from '../../common/errors';
import { sharesToWeight, blkioToIoWeight } from './convert';
import { sleepMs } from './fsutil';
import type { OomWatch } from './oom';
import type { Stats } from './stats';
import type { CgroupManager, CgroupRef, SetOptions } from './types';

/** child_process costs a few ms to load: only this driver needs it, so only it loads it. */
function spawnSync(cmd: string, args: string[], opts: { encoding: 'utf8'; timeout?: number }): SpawnSyncReturns<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:child_process') as typeof import('node:child_process')).spawnSync(cmd, args, opts);
}

const DEST = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'];
const UINT64_MAX = '18446744073709551615';

/** sd_booted(3): systemd is PID 1 and its runtime dir exists. */
export function systemdBooted(): boolean {
  return fs.existsSync('/run/systemd/system');
}

/** One busctl method call on the system bus (or the caller's user bus); stdout or a one-line error. */
export function busctl(user: boolean, method: string, sig: string, args: string[], what: string): string {
  const argv = [...(user ? ['--user'] : []), 'call', '--quiet', ...DEST, method, sig, ...args];
  const r = spawnSync('busctl', argv, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new TsrunError(`systemd: ${what}: busctl: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
  if (r.status !== 0) {
    const msg = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').pop();
    throw new TsrunError(`systemd: ${what}: ${msg}`);
  }
  return r.stdout;
}

/**
 * Rootless: the cgroup of the caller's systemd user manager (e.g.
 * /user.slice/user-1000.slice/user@1000.service): its units, and so the container's scope,
 * live below it, in the subtree systemd delegated to the user.
 */
export function userManagerCgroup(): string {
  const r = spawnSync('busctl', ['--user', 'get-property', ...DEST, 'ControlGroup'], { encoding: 'utf8', timeout: 30_000 });
  const cg = /^s "(\/[^"]*)"/.exec(r.stdout ?? '')?.[1];
  if (r.error || r.status !== 0 || !cg) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').pop();
    throw new TsrunError(`systemd: rootless --systemd-cgroup needs the user's systemd on the user bus ($XDG_RUNTIME_DIR/bus): ${why}`);
  }
  return cg;
}

type Prop = [name: string, sig: string, ...values: string[]];

/** "0-2,5" -> the little-endian bitmask bytes systemd's AllowedCPUs/AllowedMemoryNodes take. */
export function cpusetMask(list: string): number[] {
  const bytes: number[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new TsrunError(`linux.resources.cpu: invalid cpu/mem list "${list}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi; i++) {
      while (bytes.length <= i >> 3) bytes.push(0);
      bytes[i >> 3] |= 1 << (i & 7);
    }
  }
  return bytes;
}

/**
 * The unit properties for linux.resources that systemd understands (runc's mapping): systemd
 * writes the same values into the cgroup files and re-applies them whenever it re-realizes
 * the unit (daemon-reload), so they must be properties, not only file writes.
 */
export function resourceProps(r: LinuxResources | undefined, v2: boolean): Prop[] {
  const p: Prop[] = [];
  if (!r) return p;
  const bytes = (n: number) => (n === -1 ? UINT64_MAX : String(n));
  if (r.memory?.limit) p.push(['MemoryMax', 't', bytes(r.memory.limit)]);
  if (v2 && r.memory?.reservation) p.push(['MemoryLow', 't', bytes(r.memory.reservation)]);
  if (v2 && r.memory?.swap && r.memory.limit && r.memory.limit > 0 && r.memory.swap > 0) {
    p.push(['MemorySwapMax', 't', String(r.memory.swap - r.memory.limit)]);
  } else if (v2 && r.memory?.swap === -1) p.push(['MemorySwapMax', 't', UINT64_MAX]);
  if (r.pids) p.push(['TasksMax', 't', r.pids.limit > 0 ? String(r.pids.limit) : UINT64_MAX]);
  const c = r.cpu;
  if (c?.shares) {
    if (v2) p.push(['CPUWeight', 't', String(sharesToWeight(c.shares))]);
    else p.push(['CPUShares', 't', String(c.shares)]);
  }
  if (c?.quota && c.quota > 0) {
    const period = c.period || 100_000;
    // systemd takes a per-second quota with 10 ms resolution: round up, as runc does.
    let perSec = Math.floor((c.quota * 1_000_000) / period);
    if (perSec % 10_000) perSec = (Math.floor(perSec / 10_000) + 1) * 10_000;
    p.push(['CPUQuotaPerSecUSec', 't', String(perSec)]);
    if (c.period) p.push(['CPUQuotaPeriodUSec', 't', String(c.period)]);
  }
  if (v2 && c?.cpus) {
    const m = cpusetMask(c.cpus);
    p.push(['AllowedCPUs', 'ay', String(m.length), ...m.map(String)]);
  }
  if (v2 && c?.mems) {
    const m = cpusetMask(c.mems);
    p.push(['AllowedMemoryNodes', 'ay', String(m.length), ...m.map(String)]);
  }
  const w = (r.blockIO as { weight?: number } | undefined)?.weight;
  if (v2 && w) p.push(['IOWeight', 't', String(blkioToIoWeight(w))]);
  return p;
}

/** "/system.slice/tsrun-abc.scope" -> ["system.slice", "tsrun-abc.scope"] */
function sliceAndUnit(cgPath: string): [string, string] {
  const parts = cgPath.split('/').filter(Boolean);
  const unit = parts.pop()!;
  return [parts.pop() ?? '-.slice', unit];
}

/**
 * A cgroup that is a systemd scope: apply() makes the unit (systemd puts the pid in it),
 * destroy() stops it; everything else is the cgroupfs manager's work on the unit's dirs.
 */
export class SystemdManager implements CgroupManager {
  /**
   * @param fresh made by create: until apply() has started the unit there is nothing of ours
   *   to stop (the name may belong to another container: StartTransientUnit refused it).
   */
  constructor(
    private readonly base: CgroupManager,
    private readonly resources?: LinuxResources,
    private fresh = false,
  ) {}
  private startedHere = false;

  get ref(): CgroupRef {
    return this.base.ref;
  }
  get deviceRules() {
    return this.base.deviceRules;
  }
  get skipped() {
    return this.base.skipped ?? null;
  }
  private get unit(): string {
    return this.ref.systemd!.unit;
  }
  private get user(): boolean {
    return !!this.ref.systemd!.user;
  }

  /** Exec into a running container: be born in its scope. Create: no unit yet. */
  birthDir(): string | null {
    return this.fresh ? null : this.base.birthDir();
  }

  apply(pid: number): void {
    if (!this.fresh) {
      this.base.apply(pid); // exec: join the running container's scope
      return;
    }
    const [slice] = sliceAndUnit(this.ref.path);
    const v2 = this.ref.mode === 'v2';
    const props: Prop[] = [
      ['Description', 's', `tsrun container ${this.ref.systemd!.id ?? this.unit}`],
      ['Slice', 's', slice],
      ['Delegate', 'b', 'true'],
      ['PIDs', 'au', '1', String(pid)],
      ['DefaultDependencies', 'b', 'false'],
      ['MemoryAccounting', 'b', 'true'],
      ['CPUAccounting', 'b', 'true'],
      ['TasksAccounting', 'b', 'true'],
      ...(v2 ? [['IOAccounting', 'b', 'true'] as Prop] : []),
      ...resourceProps(this.resources, v2),
    ];
    const args = [this.unit, 'fail', String(props.length), ...props.flat()];
    busctl(this.user, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [...args, '0'], `start unit ${this.unit}`);
    this.fresh = false;
    this.startedHere = true;
    this.waitIn(pid);
    // Controllers systemd did not enable for the scope (e.g. cpuset), and v1 hierarchies
    // systemd does not manage: the cgroupfs manager creates and joins those (no-op where
    // systemd already put the pid).
    this.base.apply(pid);
  }

  /** systemd runs the start job after the call returns: wait until the pid is in the scope. */
  private waitIn(pid: number): void {
    const want = `/${this.unit}`;
    const deadline = Date.now() + 20_000;
    let delay = 1;
    for (;;) {
      let text = '';
      try {
        text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      } catch {
        throw new TsrunError(`systemd: unit ${this.unit}: process ${pid} exited before it was placed in the scope`);
      }
      if (text.split('\n').some((l) => l.endsWith(want))) return;
      if (Date.now() > deadline) {
        throw new TsrunError(`systemd: unit ${this.unit}: process ${pid} was not placed in the scope within 20s (${this.unitState() || 'unknown state'})`);
      }
      sleepMs(delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  private unitState(): string {
    try {
      const out = busctl(this.user, 'GetUnit', 's', [this.unit], `get unit ${this.unit}`);
      const obj = /"([^"]+)"/.exec(out)?.[1];
      if (!obj) return '';
      const r = spawnSync('busctl', [...(this.user ? ['--user'] : []), 'get-property', DEST[0], obj, 'org.freedesktop.systemd1.Unit', 'ActiveState'], { encoding: 'utf8' });
      return r.status === 0 ? r.stdout.trim().replace(/^s /, '').replace(/"/g, '') : '';
    } catch {
      return '';
    }
  }

  /** create: the unit was just started with these properties. update: tell systemd the new
   *  values first, or its next re-apply (daemon-reload) would put the old ones back. */
  set(r: LinuxResources, o?: SetOptions): void {
    if (!this.startedHere && !this.fresh) {
      const props = resourceProps(r, this.ref.mode === 'v2');
      if (props.length) busctl(this.user, 'SetUnitProperties', 'sba(sv)', [this.unit, 'true', String(props.length), ...props.flat()], `set properties of ${this.unit}`);
    }
    this.base.set(r, o);
  }
  freeze(): void {
    this.base.freeze();
  }
  thaw(): void {
    this.base.thaw();
  }
  isFrozen(): boolean {
    return this.base.isFrozen();
  }
  pids(): number[] {
    return this.base.pids();
  }
  stats(): Stats {
    return this.base.stats();
  }
  frozenAt(): string | null {
    return this.base.frozenAt();
  }
  oomWatch(): OomWatch | null {
    return this.base.oomWatch();
  }

  /** Stop the scope (systemd removes its cgroup), then clear what may be left. */
  destroy(): void {
    if (this.fresh) return;
    try {
      busctl(this.user, 'StopUnit', 'ss', [this.unit, 'replace'], `stop unit ${this.unit}`);
    } catch (e) {
      if (!/not loaded|NoSuchUnit/i.test(String((e as Error).message))) throw e;
    }
    try {
      busctl(this.user, 'ResetFailedUnit', 's', [this.unit], `reset unit ${this.unit}`);
    } catch {
      /* not failed, or already gone */
    }
    this.base.destroy();
  }
}
