// Container usage counters in the JSON shape of runc 1.1's `events` ("data" of a "stats"
// event; runc's types/events.go): field names, units (ns, bytes) and which zero fields are
// left out are runc's, so tools that parse runc's output read ours.
import fs from 'node:fs';
import path from 'node:path';

export interface MemoryEntry { limit: number; usage?: number; max?: number; failcnt: number }
export interface BlkioEntry { major?: number; minor?: number; op?: string; value?: number }

export interface Stats {
  cpu: {
    usage: { total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling: { periods?: number; throttledPeriods?: number; throttledTime?: number };
  };
  cpuset: {
    cpus?: number[]; cpu_exclusive: number; mems?: number[]; mem_hardwall: number; mem_exclusive: number;
    memory_migrate: number; memory_spread_page: number; memory_spread_slab: number; memory_pressure: number;
    sched_load_balance: number; sched_relax_domain_level: number;
  };
  memory: { cache?: number; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw?: Record<string, number> };
  pids: { current?: number; limit?: number };
  blkio: { ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[] };
  hugetlb: Record<string, { usage?: number; max?: number; failcnt: number }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** 'max' in a v2 file: runc reports it as the largest uint64. */
const UNLIMITED = 18446744073709551615;
/** cpuacct.stat counts USER_HZ (100/s) ticks; runc reports ns. */
const NS_PER_TICK = 1e7;

function read(dir: string | undefined, file: string): string | undefined {
  if (!dir) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function num(dir: string | undefined, file: string): number | undefined {
  const v = read(dir, file);
  if (v === undefined || v === '') return undefined;
  return v === 'max' ? UNLIMITED : Number(v);
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events). */
function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of (text ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** "0-3,5" -> [0,1,2,3,5]. */
export function parseList(s: string | undefined): number[] | undefined {
  if (!s) return undefined;
  const out: number[] = [];
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out.length ? out : undefined;
}

/** Page sizes the kernel offers, as cgroup file names spell them ("2MB", "1GB"). */
function hugepageSizes(): string[] {
  let names: string[];
  try {
    names = fs.readdirSync('/sys/kernel/mm/hugepages');
  } catch {
    return [];
  }
  return names.map((n) => {
    const kb = Number(/^hugepages-(\d+)kB$/.exec(n)?.[1] ?? 0);
    if (kb >= 2 ** 20) return `${kb / 2 ** 20}GB`;
    if (kb >= 2 ** 10) return `${kb / 2 ** 10}MB`;
    return `${kb}KB`;
  });
}

/** Zero fields dropped, as Go's omitempty does. */
function omitZero<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0 && v !== undefined && !(Array.isArray(v) && !v.length))) as T;
}

function emptyStats(): Stats {
  const entry = (): MemoryEntry => ({ limit: 0, failcnt: 0 });
  return {
    cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
    cpuset: {
      cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
      memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: { usage: entry(), swap: entry(), kernel: entry(), kernelTCP: entry() },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** "8:0 Read 4096" lines; the "Total" line is dropped. */
function blkioV1(dir: string | undefined, names: string[]): BlkioEntry[] | undefined {
  const file = names.find((n) => read(dir, n) !== undefined);
  if (!file) return undefined;
  const out: BlkioEntry[] = [];
  for (const l of (read(dir, file) ?? '').split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const [major, minor] = f[0].split(':').map(Number);
    out.push(omitZero({ major, minor, op: f[1], value: Number(f[2]) }));
  }
  return out.length ? out : undefined;
}

/** cgroup v1 (and hybrid): dirs maps controller -> directory. */
export function statsV1(dirs: Record<string, string>): Stats {
  const s = emptyStats();
  const acct = dirs.cpuacct;
  const st = keyValues(read(acct, 'cpuacct.stat'));
  const percpu = (f: string) => read(acct, f)?.split(/\s+/).filter(Boolean).map(Number);
  s.cpu.usage = omitZero({
    total: num(acct, 'cpuacct.usage'),
    percpu: percpu('cpuacct.usage_percpu'),
    percpu_kernel: percpu('cpuacct.usage_percpu_sys'),
    percpu_user: percpu('cpuacct.usage_percpu_user'),
  }) as Stats['cpu']['usage'];
  s.cpu.usage.kernel = (st.system ?? 0) * NS_PER_TICK;
  s.cpu.usage.user = (st.user ?? 0) * NS_PER_TICK;
  const cs = keyValues(read(dirs.cpu, 'cpu.stat'));
  s.cpu.throttling = omitZero({ periods: cs.nr_periods, throttledPeriods: cs.nr_throttled, throttledTime: cs.throttled_time });

  const cpuset = dirs.cpuset;
  if (cpuset) {
    const n = (f: string) => num(cpuset, `cpuset.${f}`) ?? 0;
    s.cpuset = {
      cpus: parseList(read(cpuset, 'cpuset.cpus')), cpu_exclusive: n('cpu_exclusive'),
      mems: parseList(read(cpuset, 'cpuset.mems')), mem_hardwall: n('mem_hardwall'), mem_exclusive: n('mem_exclusive'),
      memory_migrate: n('memory_migrate'), memory_spread_page: n('memory_spread_page'), memory_spread_slab: n('memory_spread_slab'),
      memory_pressure: n('memory_pressure'), sched_load_balance: n('sched_load_balance'), sched_relax_domain_level: n('sched_relax_domain_level'),
    };
    if (!s.cpuset.cpus) delete s.cpuset.cpus;
    if (!s.cpuset.mems) delete s.cpuset.mems;
  }

  const mem = dirs.memory;
  if (mem) {
    const entry = (prefix: string): MemoryEntry => ({
      limit: num(mem, `${prefix}limit_in_bytes`) ?? 0,
      ...omitZero({ usage: num(mem, `${prefix}usage_in_bytes`), max: num(mem, `${prefix}max_usage_in_bytes`) }),
      failcnt: num(mem, `${prefix}failcnt`) ?? 0,
    });
    const raw = keyValues(read(mem, 'memory.stat'));
    s.memory = {
      ...omitZero({ cache: raw.cache }),
      usage: entry('memory.'),
      swap: entry('memory.memsw.'),
      kernel: entry('memory.kmem.'),
      kernelTCP: entry('memory.kmem.tcp.'),
    };
    if (Object.keys(raw).length) s.memory.raw = raw;
  }

  const pids = dirs.pids;
  const limit = num(pids, 'pids.max');
  s.pids = omitZero({ current: num(pids, 'pids.current'), limit: limit === UNLIMITED ? 0 : limit });

  const blk = dirs.blkio;
  s.blkio = omitZero({
    ioServiceBytesRecursive: blkioV1(blk, ['blkio.io_service_bytes_recursive', 'blkio.bfq.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive']),
    ioServicedRecursive: blkioV1(blk, ['blkio.io_serviced_recursive', 'blkio.bfq.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive']),
  });

  const huge = dirs.hugetlb;
  if (huge) {
    for (const size of hugepageSizes()) {
      const p = `hugetlb.${size}.`;
      if (read(huge, `${p}usage_in_bytes`) === undefined) continue;
      s.hugetlb[size] = { ...omitZero({ usage: num(huge, `${p}usage_in_bytes`), max: num(huge, `${p}max_usage_in_bytes`) }), failcnt: num(huge, `${p}failcnt`) ?? 0 };
    }
  }
  return s;
}

/** cgroup v2: one directory. */
export function statsV2(dir: string): Stats {
  const s = emptyStats();
  const cs = keyValues(read(dir, 'cpu.stat'));
  s.cpu.usage = { ...omitZero({ total: (cs.usage_usec ?? 0) * 1000 }), kernel: (cs.system_usec ?? 0) * 1000, user: (cs.user_usec ?? 0) * 1000 };
  s.cpu.throttling = omitZero({ periods: cs.nr_periods, throttledPeriods: cs.nr_throttled, throttledTime: (cs.throttled_usec ?? 0) * 1000 });
  const cpus = parseList(read(dir, 'cpuset.cpus.effective'));
  const mems = parseList(read(dir, 'cpuset.mems.effective'));
  if (cpus) s.cpuset.cpus = cpus;
  if (mems) s.cpuset.mems = mems;

  const raw = keyValues(read(dir, 'memory.stat'));
  if (read(dir, 'memory.current') !== undefined) {
    const events = keyValues(read(dir, 'memory.events'));
    const cur = num(dir, 'memory.current') ?? 0;
    const swapCur = num(dir, 'memory.swap.current');
    s.memory = {
      ...omitZero({ cache: raw.file }),
      usage: { limit: num(dir, 'memory.max') ?? 0, ...omitZero({ usage: cur, max: num(dir, 'memory.peak') }), failcnt: events.max ?? 0 },
      // As runc: swap is reported as memory+swap, like v1's memsw.
      swap: { limit: num(dir, 'memory.swap.max') ?? 0, ...omitZero({ usage: swapCur === undefined ? 0 : swapCur + cur }), failcnt: 0 },
      kernel: { limit: 0, failcnt: 0 },
      kernelTCP: { limit: 0, failcnt: 0 },
    };
    if (Object.keys(raw).length) s.memory.raw = raw;
  }

  const limit = num(dir, 'pids.max');
  s.pids = omitZero({ current: num(dir, 'pids.current'), limit: limit === UNLIMITED ? 0 : limit });

  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const l of (read(dir, 'io.stat') ?? '').split('\n')) {
    const [dev, ...kv] = l.trim().split(/\s+/);
    if (!dev) continue;
    const [major, minor] = dev.split(':').map(Number);
    const v = Object.fromEntries(kv.map((x) => x.split('=')).map(([k, n]) => [k, Number(n)]));
    bytes.push(omitZero({ major, minor, op: 'Read', value: v.rbytes }), omitZero({ major, minor, op: 'Write', value: v.wbytes }));
    ios.push(omitZero({ major, minor, op: 'Read', value: v.rios }), omitZero({ major, minor, op: 'Write', value: v.wios }));
  }
  s.blkio = omitZero({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios });

  for (const size of hugepageSizes()) {
    const p = `hugetlb.${size}.`;
    if (read(dir, `${p}current`) === undefined) continue;
    s.hugetlb[size] = { ...omitZero({ usage: num(dir, `${p}current`) }), failcnt: keyValues(read(dir, `${p}events`)).max ?? 0 };
  }
  return s;
}
