// cgroup v1 manager; with a `unified` entry in ref.dirs it is the hybrid manager too
// (v1 controllers for limits, the empty cgroup2 tree at /sys/fs/cgroup/unified for
// process tracking, as runc does on such hosts).
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, fsError } from '../../common/errors';
import type { LinuxResources } from '../../oci/types';
import type { CgroupManager, CgroupRef, ManagerExtras, SetOptions } from './types';
import { oomWatchV1, type OomWatch } from './oom';
import { statsV1, type Stats } from './stats';
import {
  type BlockIO, type DeviceRule, type Network, type Rdma,
  blkioThrottleWrites, deviceRuleLine, effectiveDeviceRules, hugepageSize, pidsMax, rdmaLines,
} from './convert';
import { CGROUP_ROOT } from './host';
import { cgroupFrozen } from './freezer';
import { hasFile, procsRecursive, readCg, readCgIfExists, removeTree, sleepMs, writeCg } from './fsutil';

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

/** mkdir -p; cpuset levels get cpus/mems copied from their parent when empty, or joining fails ENOSPC. */
export function ensureDir(dir: string, cpuset: boolean): void {
  const missing: string[] = [];
  let d = dir;
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(`cgroup: mkdir ${m}`, e);
    }
  }
  if (!cpuset) return;
  // Fill top-down every level (from dir upward) whose cpus or mems are still empty.
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const empty: string[] = [];
    for (let lvl = dir; hasFile(lvl, f) && readCg(lvl, f) === ''; lvl = path.dirname(lvl)) empty.unshift(lvl);
    for (const lvl of empty) writeCg(lvl, f, readCg(path.dirname(lvl), f), 'cpuset');
  }
}

export class V1Manager implements CgroupManager {
  deviceRules: DeviceRule[] | null = null;
  constructor(readonly ref: CgroupRef, private readonly extras: ManagerExtras = {}) {}

  /** Directory of a controller, or a clear error when the host does not mount it. */
  private need(ctrl: string, what: string): string {
    const d = this.ref.dirs[ctrl];
    if (!d) throw new TsrunError(`cgroup controller ${ctrl} is not mounted on this host (needed for linux.resources.${what})`);
    return d;
  }

  /** Distinct directories with the controller names that live there (co-mounts share one). */
  private distinctDirs(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const [c, d] of Object.entries(this.ref.dirs)) m.set(d, [...(m.get(d) ?? []), c]);
    return m;
  }

  birthDir(): string | null {
    return null;
  }

  apply(pid: number): void {
    // The first migration of a burst waits for an RCU grace period in the kernel
    // (rcu_sync_enter in cgroup_procs_write_start: ~5-25 ms on this VM, `tasks` and
    // cgroup.procs alike); writes that follow within ~10 ms do not. runc pays it too.
    for (const [dir, ctrls] of this.distinctDirs()) {
      try {
        ensureDir(dir, ctrls.includes('cpuset'));
        writeCg(dir, 'cgroup.procs', String(pid), ctrls.join(','));
      } catch (e) {
        // Rootless without delegation: runc carries on without the controller.
        if (this.extras.rootless && e instanceof TsrunError && [...PERMISSION].some((c) => e.message.includes(c))) continue;
        throw e;
      }
    }
  }

  set(r: LinuxResources, o: SetOptions = {}): void {
    if (r.unified && Object.keys(r.unified).length) {
      throw new TsrunError(`linux.resources.unified: cgroup v2 files cannot be set on a cgroup ${this.ref.mode} host`);
    }
    if (Array.isArray(r.devices)) this.setDevices(r, o.listedDevices);
    if (r.memory) this.setMemory(r.memory);
    if (r.cpu) this.setCpu(r.cpu);
    if (r.pids) writeCg(this.need('pids', 'pids'), 'pids.max', pidsMax(r.pids.limit), 'pids');
    for (const h of r.hugepageLimits ?? []) {
      const d = this.need('hugetlb', 'hugepageLimits');
      writeCg(d, `hugetlb.${hugepageSize(h.pageSize)}.limit_in_bytes`, String(h.limit), 'hugetlb');
    }
    if (r.blockIO) this.setBlkio(r.blockIO as BlockIO);
    if (r.network) this.setNetwork(r.network as Network);
    if (r.rdma) for (const l of rdmaLines(r.rdma as Rdma)) writeCg(this.need('rdma', 'rdma'), 'rdma.max', l, 'rdma');
  }

  private setDevices(r: LinuxResources, listed?: readonly string[]): void {
    const rules = effectiveDeviceRules(r.devices, listed);
    this.deviceRules = rules;
    const d = this.ref.dirs.devices;
    if (!d) {
      if (this.extras.rootless) return;
      throw new TsrunError('cgroup controller devices is not mounted on this host (needed for linux.resources.devices)');
    }
    try {
      // Rules in order, starting from deny-all; the kernel keeps an exception list.
      for (const rule of rules) writeCg(d, rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule), 'devices');
    } catch (e) {
      if (!this.extras.rootless) throw e;
    }
  }

  private setMemory(m: NonNullable<LinuxResources['memory']>): void {
    const d = this.need('memory', 'memory');
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    const hasSwapFile = hasFile(d, 'memory.memsw.limit_in_bytes');
    // Unlimited memory with swap unset means unlimited swap too.
    if (limit === -1 && swap === 0 && hasSwapFile) swap = -1;
    if (swap !== 0 && !hasSwapFile) {
      throw new TsrunError(`cgroup memory: ${d}/memory.memsw.limit_in_bytes: swap accounting is not enabled on this host (linux.resources.memory.swap=${swap})`);
    }
    const setLimit = () => {
      if (limit === 0) return;
      try {
        writeCg(d, 'memory.limit_in_bytes', String(limit), 'memory');
      } catch (e) {
        if (e instanceof TsrunError && e.message.includes('EBUSY')) {
          const usage = readCg(d, 'memory.usage_in_bytes');
          throw new TsrunError(`cgroup memory: cannot set memory.limit_in_bytes to ${limit}: current usage ${usage} is higher (EBUSY)`);
        }
        throw e;
      }
    };
    const setSwap = () => {
      if (swap !== 0) writeCg(d, 'memory.memsw.limit_in_bytes', String(swap), 'memory');
    };
    // The kernel keeps memsw >= limit at every step: raise swap first, lower limit first.
    if (limit !== 0 && swap !== 0) {
      const cur = Number(readCg(d, 'memory.limit_in_bytes'));
      if (swap === -1 || cur < swap) {
        setSwap();
        setLimit();
      } else {
        setLimit();
        setSwap();
      }
    } else {
      setLimit();
      setSwap();
    }
    if (m.reservation) writeCg(d, 'memory.soft_limit_in_bytes', String(m.reservation), 'memory');
    // memory.kernel is ignored (deprecated; kernels >= 6.1 refuse kmem limits), as runc 1.1 does.
    if (m.kernelTCP) writeCg(d, 'memory.kmem.tcp.limit_in_bytes', String(m.kernelTCP), 'memory');
    if (m.swappiness !== undefined && m.swappiness !== null) {
      if (m.swappiness < 0 || m.swappiness > 100) {
        throw new TsrunError(`linux.resources.memory.swappiness: ${m.swappiness}: must be 0..100`);
      }
      writeCg(d, 'memory.swappiness', String(m.swappiness), 'memory');
    }
    if (m.disableOOMKiller) writeCg(d, 'memory.oom_control', '1', 'memory');
  }

  private setCpu(c: NonNullable<LinuxResources['cpu']>): void {
    if (c.shares || c.quota || c.period || c.burst !== undefined || c.realtimePeriod || c.realtimeRuntime || c.idle !== undefined) {
      const d = this.need('cpu', 'cpu');
      if (c.shares) {
        writeCg(d, 'cpu.shares', String(c.shares), 'cpu');
        const got = Number(readCg(d, 'cpu.shares'));
        if (got !== c.shares) {
          throw new TsrunError(`linux.resources.cpu.shares: ${c.shares}: the kernel clamped it to ${got} (range 2..262144)`);
        }
      }
      // Lowering the period can be refused (EINVAL) until the quota is lowered: retry after it.
      let periodPending = false;
      if (c.period) {
        try {
          writeCg(d, 'cpu.cfs_period_us', String(c.period), 'cpu');
        } catch (e) {
          if (!(e instanceof TsrunError && e.message.includes('EINVAL') && c.quota)) throw e;
          periodPending = true;
        }
      }
      if (c.quota) {
        writeCg(d, 'cpu.cfs_quota_us', String(c.quota), 'cpu');
        if (periodPending) writeCg(d, 'cpu.cfs_period_us', String(c.period), 'cpu');
      }
      if (c.burst !== undefined && c.burst !== null) writeCg(d, 'cpu.cfs_burst_us', String(c.burst), 'cpu');
      if (c.realtimePeriod) writeCg(d, 'cpu.rt_period_us', String(c.realtimePeriod), 'cpu');
      if (c.realtimeRuntime) writeCg(d, 'cpu.rt_runtime_us', String(c.realtimeRuntime), 'cpu');
      if (c.idle !== undefined && c.idle !== null) writeCg(d, 'cpu.idle', String(c.idle), 'cpu');
    }
    if (c.cpus) writeCg(this.need('cpuset', 'cpu.cpus'), 'cpuset.cpus', c.cpus, 'cpuset');
    if (c.mems) writeCg(this.need('cpuset', 'cpu.mems'), 'cpuset.mems', c.mems, 'cpuset');
  }

  private setBlkio(b: BlockIO): void {
    const d = this.need('blkio', 'blockIO');
    // CFQ files if present, else BFQ's; neither means the host has no proportional IO scheduler.
    const weightFile = (bfq: string, cfq: string) => {
      if (hasFile(d, cfq)) return cfq;
      if (hasFile(d, bfq)) return bfq;
      throw new TsrunError(`cgroup blkio: neither ${cfq} nor ${bfq} exists in ${d}: block IO weight is not supported on this host`);
    };
    if (b.weight) writeCg(d, weightFile('blkio.bfq.weight', 'blkio.weight'), String(b.weight), 'blkio');
    if (b.leafWeight) writeCg(d, 'blkio.leaf_weight', String(b.leafWeight), 'blkio');
    for (const w of b.weightDevice ?? []) {
      if (w.weight) writeCg(d, weightFile('blkio.bfq.weight_device', 'blkio.weight_device'), `${w.major}:${w.minor} ${w.weight}`, 'blkio');
      if (w.leafWeight) writeCg(d, 'blkio.leaf_weight_device', `${w.major}:${w.minor} ${w.leafWeight}`, 'blkio');
    }
    for (const [file, line] of blkioThrottleWrites(b)) writeCg(d, file, line, 'blkio');
  }

  private setNetwork(n: Network): void {
    if (n.classID !== undefined) writeCg(this.need('net_cls', 'network.classID'), 'net_cls.classid', String(n.classID), 'net_cls');
    for (const p of n.priorities ?? []) {
      writeCg(this.need('net_prio', 'network.priorities'), 'net_prio.ifpriomap', `${p.name} ${p.priority}`, 'net_prio');
    }
  }

  freeze(): void {
    const d = this.ref.dirs.freezer;
    if (!d) throw new TsrunError('cgroup controller freezer is not mounted on this host: cannot pause');
    // FREEZING can stick while tasks are in uninterruptible sleep; rewrite FROZEN and poll.
    let delay = 1;
    for (let i = 0; i < 60; i++) {
      writeCg(d, 'freezer.state', 'FROZEN', 'freezer');
      if (readCg(d, 'freezer.state') === 'FROZEN') return;
      sleepMs(delay);
      delay = Math.min(delay * 2, 100);
    }
    writeCg(d, 'freezer.state', 'THAWED', 'freezer');
    throw new TsrunError(`cgroup freezer: ${d}: timed out waiting for FROZEN (EBUSY)`);
  }

  thaw(): void {
    const d = this.ref.dirs.freezer;
    if (!d) throw new TsrunError('cgroup controller freezer is not mounted on this host: cannot resume');
    writeCg(d, 'freezer.state', 'THAWED', 'freezer');
  }

  isFrozen(): boolean {
    return cgroupFrozen(this.ref);
  }

  frozenAt(): string | null {
    // A new v1 cgroup starts in its parent's freezer state, which freezer.state shows.
    for (let d = this.ref.dirs.freezer; d && d.startsWith(CGROUP_ROOT + '/'); d = path.dirname(d)) {
      const st = readCgIfExists(d, 'freezer.state');
      if (st === null) continue; // not created yet (or the hierarchy's root: never frozen)
      return st === 'THAWED' ? null : d;
    }
    return null;
  }

  pids(): number[] {
    const d = this.ref.dirs.freezer ?? this.ref.dirs.devices ?? this.ref.dirs.unified ?? Object.values(this.ref.dirs)[0];
    return d ? procsRecursive(d) : [];
  }

  destroy(): void {
    const errors: string[] = [];
    for (const dir of this.distinctDirs().keys()) {
      try {
        removeTree(dir);
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    if (errors.length) throw new TsrunError(errors.join('; '));
  }

  stats(): Stats {
    return statsV1(this.ref.dirs);
  }

  oomWatch(): OomWatch | null {
    return this.ref.dirs.memory ? oomWatchV1(this.ref.dirs.memory) : null;
  }
}

