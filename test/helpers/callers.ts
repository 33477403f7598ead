// What the caller tests (docker.test.ts, containerd.test.ts, checkpoint-criu.test.ts) share:
// running a client command with a timeout, reading a container's cgroup limits from the host
// on v1 or v2, starting a private containerd, and tearing down a private daemon completely (its processes, the containers' processes, the
// mounts under its directories, its cgroups), also after a failed test.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN } from '../../conformance/lib/harness';

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Result {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    env: opts.env ?? process.env,
    input: opts.input,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** Every runtime a caller test runs its scenarios against: Debian's runc (to show the test is fair) and tsrun. */
export const RUNC = '/usr/sbin/runc';
export const RUNTIMES = [
  { name: 'runc', path: RUNC },
  { name: 'tsrun', path: BIN },
];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitUntil(fn: () => boolean, timeoutMs: number, stepMs = 200): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(stepMs);
  }
  return fn();
}

const CG = '/sys/fs/cgroup';
export const cgroupV2 = fs.existsSync(path.join(CG, 'cgroup.controllers'));

function read(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The limits of cgroup `rel` (e.g. "/parent/id") as the host's cgroup files show them. */
export function hostLimits(rel: string): { memory?: string; memsw?: string; cpuQuota?: string; cpuPeriod?: string; pids?: string; freezer?: string } {
  if (cgroupV2) {
    const d = path.join(CG, rel);
    const [quota, period] = (read(path.join(d, 'cpu.max')) ?? '').split(' ');
    const swap = read(path.join(d, 'memory.swap.max'));
    const mem = read(path.join(d, 'memory.max'));
    return {
      memory: mem,
      memsw: swap && mem && swap !== 'max' && mem !== 'max' ? String(Number(swap) + Number(mem)) : swap,
      cpuQuota: quota === 'max' ? '-1' : quota,
      cpuPeriod: period,
      pids: read(path.join(d, 'pids.max')),
      freezer: read(path.join(d, 'cgroup.freeze')) === '1' ? 'FROZEN' : 'THAWED',
    };
  }
  return {
    memory: read(path.join(CG, 'memory', rel, 'memory.limit_in_bytes')),
    memsw: read(path.join(CG, 'memory', rel, 'memory.memsw.limit_in_bytes')),
    cpuQuota: read(path.join(CG, 'cpu', rel, 'cpu.cfs_quota_us')),
    cpuPeriod: read(path.join(CG, 'cpu', rel, 'cpu.cfs_period_us')),
    pids: read(path.join(CG, 'pids', rel, 'pids.max')),
    freezer: read(path.join(CG, 'freezer', rel, 'freezer.state')),
  };
}

/** The cgroup directories named `rel` in every mounted hierarchy (v1 controllers, v1 named, unified). */
function cgroupDirs(rel: string): string[] {
  if (cgroupV2) return [path.join(CG, rel)];
  return fs.readdirSync(CG).map((h) => path.join(CG, h, rel)).filter((d) => fs.existsSync(d));
}

/** Pids of every process in the cgroup tree `rel` (any hierarchy). */
function cgroupPids(rel: string): number[] {
  const pids = new Set<number>();
  const walk = (d: string) => {
    for (const p of (read(path.join(d, 'cgroup.procs')) ?? '').split('\n')) if (p) pids.add(Number(p));
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {}
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  for (const d of cgroupDirs(rel)) walk(d);
  return [...pids];
}

/** Pids of the processes whose command line names `dir` (the daemons and shims a test started there). */
function pidsNaming(dir: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const cmd = read(`/proc/${e}/cmdline`);
    if (cmd && cmd.includes(dir)) out.push(Number(e));
  }
  return out;
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/** Thaw every frozen cgroup under `rel`, so that SIGKILL reaches paused containers. */
function thaw(rel: string): void {
  for (const d of cgroupDirs(rel)) {
    const walk = (x: string) => {
      for (const f of ['freezer.state', 'cgroup.freeze']) {
        if (fs.existsSync(path.join(x, f))) {
          try {
            fs.writeFileSync(path.join(x, f), f === 'freezer.state' ? 'THAWED' : '0');
          } catch {}
        }
      }
      for (const e of fs.readdirSync(x, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(x, e.name));
    };
    try {
      walk(d);
    } catch {}
  }
}

/** Mount points at or below `dir`, deepest (last mounted) first. */
export function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .reverse();
}

/**
 * Tear down what a test daemon left: stop the daemon (pid file, SIGTERM, then SIGKILL),
 * kill every process that names `dir` (shims) or sits in the cgroup tree `cgroupRel`
 * (containers), detach every mount under `dir`, remove the cgroup tree and `dir`.
 */
export async function teardown(dir: string, pidFile: string, cgroupRel: string): Promise<void> {
  const daemon = Number(read(pidFile) ?? 0);
  if (daemon > 0) {
    kill(daemon, 'SIGTERM');
    if (!(await waitUntil(() => !fs.existsSync(`/proc/${daemon}`), 20_000))) kill(daemon, 'SIGKILL');
  }
  thaw(cgroupRel);
  for (let i = 0; i < 3; i++) {
    const left = [...pidsNaming(dir), ...cgroupPids(cgroupRel)];
    if (left.length === 0) break;
    for (const p of left) kill(p, 'SIGKILL');
    await waitUntil(() => left.every((p) => !fs.existsSync(`/proc/${p}`) || read(`/proc/${p}/stat`)?.includes(') Z ')), 5000);
  }
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
  for (const d of cgroupDirs(cgroupRel)) {
    // Depth first: a cgroup directory can only be removed once its children are gone.
    const rm = (x: string) => {
      for (const e of fs.readdirSync(x, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(x, e.name));
      try {
        fs.rmdirSync(x);
      } catch {}
    };
    try {
      rm(d);
    } catch {}
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Start a private containerd in dir: its own config (no CRI, only the snapshotters the tests
 * use), root, state, gRPC/ttrpc sockets and opt dir, its log in dir/containerd.log and its
 * pid in pidFile (for teardown). Resolves once `ctrUp()` answers; throws with the log's tail
 * when it does not within the limit.
 */
export async function startContainerd(bin: string, dir: string, sock: string, pidFile: string, ctrUp: () => boolean, limitMs = 60_000): Promise<void> {
  const q = (v: string) => JSON.stringify(v);
  fs.writeFileSync(path.join(dir, 'config.toml'), [
    'version = 2',
    `root = ${q(path.join(dir, 'root'))}`,
    `state = ${q(path.join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]', `  address = ${q(sock)}`,
    '[ttrpc]', `  address = ${q(sock + '.ttrpc')}`,
    '[debug]', '  address = ""',
    '[metrics]', '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]', `  path = ${q(path.join(dir, 'opt'))}`,
    '',
  ].join('\n'));
  const log = fs.openSync(path.join(dir, 'containerd.log'), 'a');
  const daemon = spawn(bin, ['--config', path.join(dir, 'config.toml')], { stdio: ['ignore', log, log], detached: true });
  daemon.unref();
  fs.closeSync(log);
  fs.writeFileSync(pidFile, String(daemon.pid));
  if (!(await waitUntil(ctrUp, limitMs, 200))) {
    throw new Error(`containerd did not come up: ${fs.readFileSync(path.join(dir, 'containerd.log'), 'utf8').slice(-2000)}`);
  }
}
