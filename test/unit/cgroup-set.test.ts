// The cgroup managers' set() against a fake cgroupfs: a temp dir whose "control files" are
// plain files (a missing file = a controller the host lacks). Checks what lands in each
// file and the errors for what a host cannot do; no root, no real cgroups. (A regular file
// keeps only the last write at offset 0, so each file here is written once.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { V1Manager } from '../../src/linux/cgroups/v1';
import { V2Manager } from '../../src/linux/cgroups/v2';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cgfs-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A cgroup dir with these control files (content: what the kernel would show). */
function cgDir(rel: string, files: Record<string, string>): string {
  const dir = path.join(tmp, rel);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), v);
  return dir;
}
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
const MiB = 1024 * 1024;

describe('cgroup v2 set() on a fake cgroupfs', () => {
  const FILES = ['cpu.weight', 'cpu.max', 'cpu.max.burst', 'cpuset.cpus', 'cpuset.mems', 'memory.max', 'memory.low', 'memory.swap.max', 'memory.high', 'pids.max', 'hugetlb.2MB.max', 'io.weight'];
  const manager = (dir: string) => new V2Manager({ mode: 'v2', path: '/c', dirs: { unified: dir } }, {}, tmp);

  it('writes runc\'s v2 conversions of the OCI resources', () => {
    const dir = cgDir('c', Object.fromEntries(FILES.map((f) => [f, ''])));
    manager(dir).set({
      cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, cpus: '0-1', mems: '0' },
      memory: { limit: 256 * MiB, reservation: 128 * MiB, swap: 512 * MiB },
      pids: { limit: 100 },
      hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
      blockIO: { weight: 500 },
      unified: { 'memory.high': '200M' },
    });
    expect(Object.fromEntries(FILES.map((f) => [f, read(dir, f)]))).toEqual({
      'cpu.weight': '39', // runc: 1 + (shares - 2) * 9999 / 262142
      'cpu.max': '50000 100000',
      'cpu.max.burst': '1000',
      'cpuset.cpus': '0-1',
      'cpuset.mems': '0',
      'memory.max': String(256 * MiB),
      'memory.low': String(128 * MiB),
      'memory.swap.max': String(256 * MiB), // OCI swap is memory+swap; v2's file is swap alone
      'memory.high': '200M',
      'pids.max': '100',
      'hugetlb.2MB.max': String(4 * MiB),
      'io.weight': '4950', // runc: 1 + (weight - 10) * 9999 / 990
    });
  });

  it('unlimited values are "max"', () => {
    const dir = cgDir('c', { 'memory.max': '', 'memory.swap.max': '', 'pids.max': '', 'cpu.max': '' });
    manager(dir).set({ memory: { limit: -1 }, pids: { limit: -1 }, cpu: { quota: -1, period: 100000 } });
    expect([read(dir, 'memory.max'), read(dir, 'memory.swap.max'), read(dir, 'pids.max'), read(dir, 'cpu.max')]).toEqual(['max', 'max', 'max', 'max 100000']);
  });

  it('says which controller is missing, and refuses what v2 cannot do', () => {
    const dir = cgDir('c', { 'memory.max': '', 'memory.current': String(300 * MiB) });
    const m = manager(dir);
    expect(() => m.set({ pids: { limit: 5 } })).toThrow(`cgroup v2 controller pids is not available in ${dir} (no pids.max; check the parent's cgroup.subtree_control)`);
    expect(() => m.set({ memory: { limit: 256 * MiB, swap: 512 * MiB } })).toThrow(`cgroup memory: ${dir}/memory.swap.max: swap is not supported on this host`);
    expect(() => m.set({ memory: { limit: 256 * MiB, checkBeforeUpdate: true } })).toThrow(`linux.resources.memory.limit: ${256 * MiB}: below current usage ${300 * MiB}`);
    expect(() => m.set({ network: { classID: 1 } })).toThrow(/net_cls\/net_prio do not exist on cgroup v2/);
    expect(() => m.set({ cpu: { realtimeRuntime: 1000 } })).toThrow(/realtime scheduling is not supported on cgroup v2/);
    expect(() => m.set({ unified: { '../escape.max': '1' } })).toThrow('linux.resources.unified: invalid file name "../escape.max"');
    expect(() => m.set({ memory: { limit: 256 * MiB, swap: 128 * MiB } })).toThrow(/must be >= memory limit/);
    expect(read(dir, 'memory.max')).toBe(''); // nothing was written by the refused calls
  });
});

describe('cgroup v1 set() on a fake cgroupfs', () => {
  function hierarchy() {
    const memory = cgDir('memory/c', {
      'memory.limit_in_bytes': '999999999', 'memory.memsw.limit_in_bytes': '', 'memory.soft_limit_in_bytes': '',
      'memory.swappiness': '', 'memory.oom_control': '', 'memory.kmem.tcp.limit_in_bytes': '',
    });
    const cpu = cgDir('cpu/c', { 'cpu.shares': '', 'cpu.cfs_period_us': '', 'cpu.cfs_quota_us': '', 'cpu.rt_runtime_us': '' });
    const cpuset = cgDir('cpuset/c', { 'cpuset.cpus': '', 'cpuset.mems': '' });
    const pids = cgDir('pids/c', { 'pids.max': '' });
    const m = new V1Manager({ mode: 'v1', path: '/c', dirs: { memory, cpu, cpuset, pids } });
    return { m, memory, cpu, cpuset, pids };
  }

  it('writes the v1 files, memory+swap in an order the kernel accepts', () => {
    const { m, memory, cpu, cpuset, pids } = hierarchy();
    m.set({
      memory: { limit: 256 * MiB, swap: 512 * MiB, reservation: 128 * MiB, swappiness: 10, disableOOMKiller: true, kernelTCP: 16 * MiB },
      cpu: { shares: 512, quota: 20000, period: 100000, realtimeRuntime: 950000, cpus: '0', mems: '0' },
      pids: { limit: 64 },
    });
    expect({
      limit: read(memory, 'memory.limit_in_bytes'), memsw: read(memory, 'memory.memsw.limit_in_bytes'),
      soft: read(memory, 'memory.soft_limit_in_bytes'), swappiness: read(memory, 'memory.swappiness'),
      oom: read(memory, 'memory.oom_control'), tcp: read(memory, 'memory.kmem.tcp.limit_in_bytes'),
      shares: read(cpu, 'cpu.shares'), period: read(cpu, 'cpu.cfs_period_us'), quota: read(cpu, 'cpu.cfs_quota_us'),
      rt: read(cpu, 'cpu.rt_runtime_us'), cpus: read(cpuset, 'cpuset.cpus'), mems: read(cpuset, 'cpuset.mems'), pids: read(pids, 'pids.max'),
    }).toEqual({
      // The old limit (the fake file's 999999999) is above the new swap: limit first.
      limit: String(256 * MiB), memsw: String(512 * MiB),
      soft: String(128 * MiB), swappiness: '10', oom: '1', tcp: String(16 * MiB),
      shares: '512', period: '100000', quota: '20000', rt: '950000', cpus: '0', mems: '0', pids: '64',
    });
  });

  it('refuses what the host or the config cannot do, naming the file', () => {
    const { m, memory } = hierarchy();
    fs.rmSync(path.join(memory, 'memory.memsw.limit_in_bytes'));
    expect(() => m.set({ memory: { limit: 256 * MiB, swap: 512 * MiB } })).toThrow(
      `cgroup memory: ${memory}/memory.memsw.limit_in_bytes: swap accounting is not enabled on this host (linux.resources.memory.swap=${512 * MiB})`,
    );
    expect(() => m.set({ memory: { swappiness: 200 } })).toThrow('linux.resources.memory.swappiness: 200: must be 0..100');
    expect(() => m.set({ unified: { 'memory.high': '1' } })).toThrow('linux.resources.unified: cgroup v2 files cannot be set on a cgroup v1 host');
    expect(() => m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })).toThrow('cgroup controller hugetlb is not mounted on this host (needed for linux.resources.hugepageLimits)');
    expect(() => m.set({ cpu: { idle: 1 } })).toThrow(`cgroup cpu: ${path.join(tmp, 'cpu/c')}/cpu.idle: not supported on this host (ENOENT) while setting "1"`);
  });
});
