// `update`: change the resource limits of a live container, as runc 1.1 does. The request
// (flags or a LinuxResources document) is merged into the stored config; only the changed
// values are written to the cgroup files (with the stored values they depend on: swap
// needs the memory limit, cpu.max needs quota and period), then state.json is saved so
// later commands see the new limits. 0 (or "") means "unchanged", as in runc.
// The freezer is never touched: a paused container is updated and stays paused.
import * as fs from 'node:fs';
import { openCgroup } from '../linux/cgroups';
import { TsrunError } from '../common/errors';
import type { LinuxResources } from '../oci/types';
import { requireStatus } from './lifecycle';
import type { Logger, RuntimeOptions } from './options';
import { deriveStatus } from './status';
import { Store } from './store';

/** The flags of `runc update`, as the strings the user typed (undefined: not given). */
export interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

export interface UpdateRequest {
  resources: LinuxResources;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

const UINT = /^\d+$/;
const INT = /^-?\d+$/;

function uint(flag: string, v: string): number {
  if (!UINT.test(v)) throw new TsrunError(`invalid value for ${flag}: strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function int(flag: string, v: string): number {
  if (!INT.test(v)) throw new TsrunError(`invalid value for ${flag}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** A urfave IntFlag: a bad value is a usage error in runc. */
function intFlag(flag: string, v: string): number {
  if (!INT.test(v)) throw new TsrunError(`invalid value ${JSON.stringify(v)} for flag -${flag}: parse error`);
  return Number(v);
}

/**
 * docker's RAMInBytes, which runc uses for the memory flags: "512", "64m", "1.5G", "2kb";
 * binary multiples; "-1" is unlimited.
 */
export function ramInBytes(flag: string, v: string): number {
  if (v === '-1') return -1;
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isFinite(n)) throw new TsrunError(`invalid value for ${flag}: invalid size: '${v}'`);
  const mult = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 1;
  return Math.floor(n * mult);
}

/** The update request that runc builds from its flags. */
export function requestFromFlags(f: UpdateFlags, logger?: Logger): UpdateRequest {
  const r: LinuxResources = {};
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  const mem: NonNullable<LinuxResources['memory']> = {};
  if (f.blkioWeight !== undefined) {
    const w = intFlag('blkio-weight', f.blkioWeight);
    if (w !== 0) r.blockIO = { weight: w };
  }
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  if (f.cpuPeriod) cpu.period = uint('cpu-period', f.cpuPeriod);
  if (f.cpuRtPeriod) cpu.realtimePeriod = uint('cpu-rt-period', f.cpuRtPeriod);
  if (f.cpuShare) cpu.shares = uint('cpu-share', f.cpuShare);
  if (f.cpuQuota) cpu.quota = int('cpu-quota', f.cpuQuota);
  if (f.cpuRtRuntime) cpu.realtimeRuntime = int('cpu-rt-runtime', f.cpuRtRuntime);
  if (f.memory) mem.limit = ramInBytes('memory', f.memory);
  if (f.memorySwap) mem.swap = ramInBytes('memory-swap', f.memorySwap);
  if (f.memoryReservation) mem.reservation = ramInBytes('memory-reservation', f.memoryReservation);
  // Kernel memory limits are obsolete (cgroup v1 only; kernels >= 6.1 refuse them): runc 1.1
  // parses the value, warns and writes nothing. So does tsrun.
  for (const [flag, v] of [['kernel-memory', f.kernelMemory], ['kernel-memory-tcp', f.kernelMemoryTcp]] as const) {
    if (!v) continue;
    ramInBytes(flag, v);
    logger?.warn(`--${flag}: kernel memory settings are ignored (obsolete; not set by runc 1.1 either)`);
  }
  if (f.pidsLimit !== undefined) {
    const p = intFlag('pids-limit', f.pidsLimit);
    if (p !== 0) r.pids = { limit: p };
  }
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (Object.keys(mem).length) r.memory = mem;
  return { resources: r, l3CacheSchema: f.l3CacheSchema || undefined, memBwSchema: f.memBwSchema || undefined };
}

/** `--resources FILE|-`: a LinuxResources document (the other flags are then ignored, as in runc). */
export function requestFromFile(file: string, logger?: Logger): UpdateRequest {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new TsrunError(`--resources ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TsrunError(`--resources ${file}: invalid JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new TsrunError(`--resources ${file}: expected a JSON object (linux.resources)`);
  const r = doc as LinuxResources;
  checkTypes(r, file);
  // runc cannot change device rules after create and silently skips them; say so instead.
  if (r.memory?.kernel) logger?.warn(`--resources ${file}: memory.kernel is ignored (obsolete kernel memory limit; runc 1.1 ignores it too)`);
  if (r.devices !== undefined) throw new TsrunError(`--resources ${file}: devices cannot be updated (device rules are fixed at create)`);
  return { resources: r };
}

/** Numbers where numbers belong, in the sections update applies, so no garbage reaches a cgroup file. */
function checkTypes(r: LinuxResources, file: string): void {
  const nums: [string, Record<string, unknown> | undefined, string[]][] = [
    ['memory', r.memory, ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP', 'swappiness']],
    ['cpu', r.cpu, ['shares', 'quota', 'burst', 'period', 'realtimeRuntime', 'realtimePeriod', 'idle']],
    ['pids', r.pids, ['limit']],
    ['blockIO', r.blockIO, ['weight', 'leafWeight']],
  ];
  for (const [sec, obj, keys] of nums) {
    if (obj === undefined || obj === null) continue;
    if (typeof obj !== 'object' || Array.isArray(obj)) throw new TsrunError(`--resources ${file}: ${sec}: expected an object`);
    for (const k of keys) {
      const v = obj[k];
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v))) {
        throw new TsrunError(`--resources ${file}: ${sec}.${k}: expected an integer, got ${JSON.stringify(v)}`);
      }
    }
  }
  for (const k of ['cpus', 'mems'] as const) {
    const v = r.cpu?.[k];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new TsrunError(`--resources ${file}: cpu.${k}: expected a string`);
  }
}

/** Drop the "unchanged" values (0, "", null) of a request, as runc's merge does. */
function changes(r: LinuxResources): LinuxResources {
  const out: LinuxResources = {};
  const keep = (o: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    if (!o) return undefined;
    const e = Object.entries(o).filter(([, v]) => v !== 0 && v !== '' && v !== null && v !== undefined);
    return e.length ? Object.fromEntries(e) : undefined;
  };
  const mem = keep(r.memory);
  if (mem) out.memory = mem;
  const cpu = keep(r.cpu);
  if (cpu) out.cpu = cpu;
  if (r.pids?.limit) out.pids = { limit: r.pids.limit };
  const bio = keep(r.blockIO as Record<string, unknown> | undefined);
  if (bio) out.blockIO = bio;
  if (r.hugepageLimits?.length) out.hugepageLimits = r.hugepageLimits;
  if (r.network && Object.keys(r.network).length) out.network = r.network;
  if (r.rdma && Object.keys(r.rdma).length) out.rdma = r.rdma;
  if (r.unified && Object.keys(r.unified).length) out.unified = r.unified;
  return out;
}

/** What to write: the changes, plus the stored values they are written together with. */
function toWrite(ch: LinuxResources, merged: LinuxResources): LinuxResources {
  const w: LinuxResources = { ...ch };
  if (ch.memory?.swap !== undefined && ch.memory.limit === undefined && merged.memory?.limit) {
    w.memory = { ...ch.memory, limit: merged.memory.limit };
  }
  if (ch.cpu && (ch.cpu.quota !== undefined || ch.cpu.period !== undefined)) {
    w.cpu = { ...ch.cpu, quota: merged.cpu?.quota, period: merged.cpu?.period };
  }
  return w;
}

function merge(base: LinuxResources, ch: LinuxResources): LinuxResources {
  const out: LinuxResources = { ...base };
  if (ch.memory) out.memory = { ...base.memory, ...ch.memory };
  if (ch.cpu) out.cpu = { ...base.cpu, ...ch.cpu };
  if (ch.pids) out.pids = ch.pids;
  if (ch.blockIO) out.blockIO = { ...base.blockIO, ...ch.blockIO };
  if (ch.hugepageLimits) {
    const bySize = new Map((base.hugepageLimits ?? []).map((h) => [h.pageSize, h]));
    for (const h of ch.hugepageLimits) bySize.set(h.pageSize, h);
    out.hugepageLimits = [...bySize.values()];
  }
  if (ch.network) out.network = { ...base.network, ...ch.network };
  if (ch.rdma) out.rdma = { ...base.rdma, ...ch.rdma };
  if (ch.unified) out.unified = { ...base.unified, ...ch.unified };
  return out;
}

/** Intel RDT: runc's errors where the host has no resctrl support; tsrun manages no RDT groups. */
function checkRdt(req: UpdateRequest): void {
  if (!req.l3CacheSchema && !req.memBwSchema) return;
  const mounted = (() => {
    try {
      return fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' - resctrl ');
    } catch {
      return false;
    }
  })();
  if (req.l3CacheSchema && !(mounted && fs.existsSync('/sys/fs/resctrl/info/L3'))) {
    throw new TsrunError('Intel RDT/CAT: l3 cache schema is not enabled');
  }
  if (req.memBwSchema && !(mounted && fs.existsSync('/sys/fs/resctrl/info/MB'))) {
    throw new TsrunError('Intel RDT/MBA: memory bandwidth schema is not enabled');
  }
  throw new TsrunError('--l3-cache-schema/--mem-bw-schema: Intel RDT is not supported by tsrun (it creates no resctrl groups)');
}

export async function update(g: RuntimeOptions, id: string, req: UpdateRequest): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, () => {
    const rec = store.load(id);
    requireStatus('update', deriveStatus(rec, store), id);
    checkRdt(req);
    if (!rec.cgroup) throw new TsrunError(`container ${id} has no cgroup: its resources cannot be updated`);
    const linux = (rec.config.linux ??= {});
    const before = linux.resources ?? {};
    const ch = changes(req.resources);
    // Unlimited memory with swap not given: unlimited swap too (runc's rule for v1 compatibility).
    if (ch.memory?.limit === -1 && ch.memory.swap === undefined) ch.memory.swap = -1;
    const merged = merge(before, ch);
    const mgr = openCgroup(rec.cgroup, { rootless: g.rootless ?? process.geteuid?.() !== 0 });
    g.logger?.debug?.(`update ${id}: writing ${JSON.stringify(toWrite(ch, merged))} to cgroup ${rec.cgroup.path}`);
    try {
      mgr.set(toWrite(ch, merged));
    } catch (e) {
      // Put back what may already have been written (the stored values), as runc does.
      try {
        const restore = toWrite(changes(pick(before, ch)), before);
        if (Object.keys(restore).length) mgr.set(restore);
      } catch (e2) {
        g.logger?.warn(`setting back the previous limits failed: ${(e2 as Error).message}; the cgroup and state.json may disagree`);
      }
      throw e;
    }
    linux.resources = merged;
    store.save(rec);
  });
}

/** The stored values of the fields a change touches (to undo a half-applied update). */
function pick(base: LinuxResources, ch: LinuxResources): LinuxResources {
  const sub = <T extends object>(b: T | undefined, c: object | undefined): T | undefined =>
    b && c ? (Object.fromEntries(Object.keys(c).filter((k) => k in b).map((k) => [k, (b as Record<string, unknown>)[k]])) as T) : undefined;
  return {
    memory: sub(base.memory, ch.memory),
    cpu: sub(base.cpu, ch.cpu),
    pids: ch.pids && base.pids ? base.pids : undefined,
    blockIO: sub(base.blockIO, ch.blockIO),
  };
}
