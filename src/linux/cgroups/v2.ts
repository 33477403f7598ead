// cgroup v2 (unified) manager.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, fsError } from '../../common/errors';
import type { LinuxResources } from '../../oci/types';
import type { CgroupManager, CgroupRef, ManagerExtras, SetOptions } from './types';
import { oomWatchV2, type OomWatch } from './oom';
import { statsV2, type Stats } from './stats';
import {
  type BlockIO, type DeviceRule, type Network, type Rdma,
  blkioToIoWeight, cpuMaxV2, effectiveDeviceRules, hugepageSize, ioMaxLines, pidsMax, rdmaLines,
  sharesToWeight, swapV2, v2Bytes,
} from './convert';
import { attachDeviceRules } from './devices-bpf';
import { CGROUP_ROOT } from './host';
import { cgroupFrozen } from './freezer';
import { hasFile, procsRecursive, readCg, readCgIfExists, removeTree, sleepMs, writeCg } from './fsutil';

/**
 * mkdir each level below `root` down to `dir`, enabling in every level above the leaf
 * all controllers its parent offers (a child only gets controllers listed in the
 * parent's cgroup.subtree_control). Failures to enable are left for set() to report.
 */
export function createV2Path(root: string, dir: string): void {
  const rel = path.relative(root, dir);
  if (rel.startsWith('..')) throw new TsrunError(`cgroup: ${dir} is outside the cgroup2 mount ${root}`);
  let cur = root;
  const parts = rel ? rel.split('/') : [];
  for (let i = 0; i < parts.length; i++) {
    const avail = hasFile(cur, 'cgroup.controllers') ? readCg(cur, 'cgroup.controllers').split(/\s+/).filter(Boolean) : [];
    if (avail.length) {
      try {
        writeCg(cur, 'cgroup.subtree_control', avail.map((c) => '+' + c).join(' '), 'unified');
      } catch {
        for (const c of avail) {
          try { writeCg(cur, 'cgroup.subtree_control', '+' + c, 'unified'); } catch { /* reported by set() */ }
        }
      }
    }
    cur = path.join(cur, parts[i]);
    try {
      fs.mkdirSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(`cgroup: mkdir ${cur}`, e);
    }
  }
}

export class V2Manager implements CgroupManager {
  /**
   * v2 has no devices files: set() records the rules here and attaches them to
   * ref.dirs.unified as a BPF_PROG_TYPE_CGROUP_DEVICE program (devices-bpf.ts).
   */
  deviceRules: DeviceRule[] | null = null;
  private readonly dir: string;
  constructor(readonly ref: CgroupRef, private readonly extras: ManagerExtras = {}, private readonly root = '/sys/fs/cgroup') {
    this.dir = ref.dirs.unified;
  }

  birthDir(): string | null {
    try {
      createV2Path(this.root, this.dir);
    } catch {
      return null; // apply() reports it (or, rootless, carries on without)
    }
    return this.dir;
  }

  /** Rootless without a delegated cgroup: why the container runs without one (apply()). */
  skipped: string | null = null;

  apply(pid: number): void {
    try {
      createV2Path(this.root, this.dir);
      writeCg(this.dir, 'cgroup.procs', String(pid), 'unified');
    } catch (e) {
      // runc's rule: a rootless container without permission for its cgroup runs without
      // one, unless it asks for limits (set() refuses those).
      if (this.extras.rootless && e instanceof TsrunError && /EACCES|EPERM|EROFS/.test(e.message)) {
        this.skipped = e.message;
        return;
      }
      throw e;
    }
  }

  /** Write one file; a missing file means its controller is not enabled for this cgroup. */
  private w(file: string, value: string, ctrl: string): void {
    if (!hasFile(this.dir, file)) {
      throw new TsrunError(`cgroup v2 controller ${ctrl} is not available in ${this.dir} (no ${file}; check the parent's cgroup.subtree_control)`);
    }
    writeCg(this.dir, file, value, ctrl);
  }

  set(r: LinuxResources, o: SetOptions = {}): void {
    if (this.skipped) {
      const limits = Object.entries(r).filter(([k, v]) => k !== 'devices' && v !== undefined && v !== null);
      if (limits.length) {
        throw new TsrunError(`rootless: linux.resources (${limits.map(([k]) => k).join(', ')}) need a delegated cgroup, and there is none (${this.skipped}): use --systemd-cgroup with the user's systemd, or drop the limits`);
      }
      return; // devices: the user namespace already keeps the container off host devices
    }
    if (Array.isArray(r.devices)) {
      this.deviceRules = effectiveDeviceRules(r.devices, o.listedDevices);
      attachDeviceRules(this.dir, this.deviceRules, { rootless: this.extras.rootless });
    }
    if (r.cpu) this.setCpu(r.cpu);
    if (r.memory) this.setMemory(r.memory);
    if (r.pids) this.w('pids.max', pidsMax(r.pids.limit), 'pids');
    for (const h of r.hugepageLimits ?? []) this.w(`hugetlb.${hugepageSize(h.pageSize)}.max`, String(h.limit), 'hugetlb');
    if (r.blockIO) this.setIo(r.blockIO as BlockIO);
    const n = r.network as Network | undefined;
    if (n && (n.classID !== undefined || n.priorities?.length)) {
      throw new TsrunError('linux.resources.network: net_cls/net_prio do not exist on cgroup v2 (use an eBPF program instead)');
    }
    if (r.rdma) for (const l of rdmaLines(r.rdma as Rdma)) this.w('rdma.max', l, 'rdma');
    for (const [k, v] of Object.entries(r.unified ?? {})) {
      if (k.includes('/') || k.startsWith('.') || !k.includes('.')) throw new TsrunError(`linux.resources.unified: invalid file name "${k}"`);
      this.w(k, v, k.split('.')[0]);
    }
  }

  private setCpu(c: NonNullable<LinuxResources['cpu']>): void {
    if (c.realtimePeriod || c.realtimeRuntime) {
      throw new TsrunError('linux.resources.cpu.realtimePeriod/realtimeRuntime: realtime scheduling is not supported on cgroup v2');
    }
    const weight = sharesToWeight(c.shares ?? 0);
    if (weight) this.w('cpu.weight', String(weight), 'cpu');
    const max = cpuMaxV2(c.quota, c.period);
    if (max) this.w('cpu.max', max, 'cpu');
    if (c.burst !== undefined && c.burst !== null) this.w('cpu.max.burst', String(c.burst), 'cpu');
    if (c.idle !== undefined && c.idle !== null) this.w('cpu.idle', String(c.idle), 'cpu');
    if (c.cpus) this.w('cpuset.cpus', c.cpus, 'cpuset');
    if (c.mems) this.w('cpuset.mems', c.mems, 'cpuset');
  }

  private setMemory(m: NonNullable<LinuxResources['memory']>): void {
    const swap = swapV2(m.swap, m.limit);
    if (m.checkBeforeUpdate && m.limit && m.limit > 0 && hasFile(this.dir, 'memory.current')) {
      const cur = Number(readCg(this.dir, 'memory.current'));
      if (cur > m.limit) throw new TsrunError(`linux.resources.memory.limit: ${m.limit}: below current usage ${cur}`);
    }
    // Independent files on v2 (no memsw >= limit rule), so order only matters for errors.
    if (swap !== undefined) {
      if (!hasFile(this.dir, 'memory.swap.max')) {
        if (swap !== 'max') throw new TsrunError(`cgroup memory: ${this.dir}/memory.swap.max: swap is not supported on this host`);
      } else this.w('memory.swap.max', swap, 'memory');
    }
    if (m.limit) this.w('memory.max', v2Bytes(m.limit), 'memory');
    if (m.reservation) this.w('memory.low', v2Bytes(m.reservation), 'memory');
    // swappiness, disableOOMKiller, kernel, kernelTCP have no v2 files; runc ignores them too.
  }

  private setIo(b: BlockIO): void {
    const bfq = hasFile(this.dir, 'io.bfq.weight');
    if (b.weight) {
      if (bfq) this.w('io.bfq.weight', String(b.weight), 'io');
      else this.w('io.weight', String(blkioToIoWeight(b.weight)), 'io');
    }
    for (const wd of b.weightDevice ?? []) {
      if (!wd.weight) continue;
      if (bfq) this.w('io.bfq.weight', `${wd.major}:${wd.minor} ${wd.weight}`, 'io');
      else this.w('io.weight', `${wd.major}:${wd.minor} ${blkioToIoWeight(wd.weight)}`, 'io');
    }
    for (const l of ioMaxLines(b)) this.w('io.max', l, 'io');
  }

  private waitFrozen(want: '0' | '1'): void {
    let delay = 1;
    for (let i = 0; i < 60; i++) {
      const ev = readCg(this.dir, 'cgroup.events');
      if (new RegExp(`^frozen ${want}$`, 'm').test(ev)) return;
      sleepMs(delay);
      delay = Math.min(delay * 2, 100);
    }
    throw new TsrunError(`cgroup: ${this.dir}/cgroup.events: timed out waiting for "frozen ${want}" (EBUSY)`);
  }

  freeze(): void {
    writeCg(this.dir, 'cgroup.freeze', '1', 'freezer');
    this.waitFrozen('1');
  }

  thaw(): void {
    try {
      writeCg(this.dir, 'cgroup.freeze', '0', 'freezer');
      this.waitFrozen('0');
    } catch (e) {
      // Gone meanwhile (systemd removes a scope's cgroup once a SIGKILL emptied it): nothing
      // is left frozen.
      if (fs.existsSync(this.dir)) throw e;
    }
  }

  isFrozen(): boolean {
    return cgroupFrozen(this.ref);
  }

  frozenAt(): string | null {
    // cgroup.events says "frozen 1" when the cgroup or an ancestor is frozen.
    for (let d = this.dir; d.startsWith(CGROUP_ROOT + '/'); d = path.dirname(d)) {
      const ev = readCgIfExists(d, 'cgroup.events');
      if (ev === null) continue;
      return /^frozen 1$/m.test(ev) || readCgIfExists(d, 'cgroup.freeze') === '1' ? d : null;
    }
    return null;
  }

  pids(): number[] {
    return procsRecursive(this.dir);
  }

  destroy(): void {
    removeTree(this.dir);
  }

  stats(): Stats {
    return statsV2(this.dir);
  }

  oomWatch(): OomWatch {
    return oomWatchV2(this.dir);
  }
}
