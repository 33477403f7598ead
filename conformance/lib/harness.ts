// Shared harness of the conformance suite: drives a runtime binary (tsrun, runc, crun)
// through its CLI the way a shell or containerd would, with a private --root per suite,
// and tears down everything a test created even when the test fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO = path.resolve(__dirname, '../..');
export const BIN = process.env.TSRUN_BIN || path.join(REPO, 'dist/tsrun');
/** Debian's runc, which tests that compare behaviour run beside tsrun when it is installed. */
export const RUNC = '/usr/sbin/runc';

/** Why this suite cannot run here, or undefined when it can. */
export function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'conformance tests need Linux';
  if (process.getuid?.() !== 0) return 'conformance tests must run as root';
  try {
    fs.accessSync(BIN, fs.constants.X_OK);
  } catch {
    return `runtime binary ${BIN} is missing or not executable (build it, or set TSRUN_BIN)`;
  }
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox missing (apt-get install busybox-static)';
  return undefined;
}

/** Print the skip reason once per file so a skipped run says why. */
export function announceSkip(file: string): string | undefined {
  const why = skipReason();
  if (why) console.warn(`[conformance] ${path.basename(file)} skipped: ${why}`);
  return why;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface OciState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export type Config = Record<string, any>;

export interface BundleOptions {
  args?: string[];
  mutate?: (config: Config) => void;
}

export interface Bundle {
  dir: string;
  /** Host directory bind-mounted read-write at /m in the container: markers and output. */
  host: string;
  /** Absolute cgroupsPath given to the container (unique per bundle). */
  cgroupsPath: string;
}

interface MkBundle {
  makeBundle(dir: string, opts: { args?: string[]; mutate?: (c: Config) => void }): string;
}
let mkbundle: Promise<MkBundle> | undefined;
function loadMkbundle(): Promise<MkBundle> {
  // scripts/mkbundle.mjs is ESM; a computed URL keeps tsc (commonjs) from rewriting it to require().
  const url = pathToFileURL(path.join(REPO, 'scripts/mkbundle.mjs')).href;
  mkbundle ??= import(url) as Promise<MkBundle>;
  return mkbundle;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll until fn() is truthy or the time is up; returns the last value. */
/** TSRUN_TEST_SLOW=N stretches the runtime-call and wait timeouts N times (the v2host guest
 *  tier runs under QEMU's TCG, several times slower than this host). */
export const SLOW = Math.max(1, Number(process.env.TSRUN_TEST_SLOW) || 1);

export async function waitFor<T>(fn: () => T, timeoutMs = 5000, stepMs = 50): Promise<T> {
  timeoutMs *= SLOW;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v || Date.now() >= end) return v;
    await sleep(stepMs);
  }
}

/** True when pid names a live (non-zombie) process. A zombie has exited: treat it as gone. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every cgroup hierarchy mounted here: v2 alone, or the v1 controllers plus the hybrid unified tree. */
export function cgroupHierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  if (fs.existsSync(path.join(base, 'cgroup.controllers'))) return [base];
  const seen = new Set<string>();
  for (const name of fs.existsSync(base) ? fs.readdirSync(base) : []) {
    try {
      const real = fs.realpathSync(path.join(base, name));
      if (fs.statSync(real).isDirectory()) seen.add(real);
    } catch {
      /* vanished entry */
    }
  }
  return [...seen];
}

/** The cgroup directories named by cgroupsPath that exist in any hierarchy. */
export function cgroupDirs(cgroupsPath: string): string[] {
  return cgroupHierarchies()
    .map((h) => path.join(h, cgroupsPath))
    .filter((d) => fs.existsSync(d));
}

let seq = 0;

/** One per test file: a private state root and temp area, and the list of things to tear down. */
export class Suite {
  readonly tmp: string;
  readonly root: string;
  private readonly ids = new Set<string>();
  private readonly cgroups = new Set<string>();
  private readonly tag: string;
  private io = 0;

  /** bin: the runtime this suite drives (default BIN; tests that compare with runc pass RUNC). */
  constructor(name: string, readonly bin: string = BIN) {
    this.tag = `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-conf-${name}-`));
    this.root = path.join(this.tmp, 'state');
  }

  /** A fresh container id, remembered for teardown. */
  id(label = 'c'): string {
    const id = `conf-${label}-${++seq}-${this.tag}`;
    this.ids.add(id);
    return id;
  }

  /** Remember a cgroup path (e.g. a parent a test made) for teardown. */
  trackCgroup(cgroupsPath: string): void {
    this.cgroups.add(cgroupsPath);
  }

  /**
   * What is left of a container that should not exist: a state entry, a state dir,
   * cgroup dirs. Empty when nothing is left.
   */
  leftovers(id: string, b: Bundle): string[] {
    const left: string[] = [];
    if (this.rt(['state', id]).code === 0) left.push(`state ${id} still answers`);
    if (fs.existsSync(this.stateDir(id))) left.push(`state dir ${this.stateDir(id)} exists`);
    for (const d of cgroupDirs(b.cgroupsPath)) left.push(`cgroup ${d} exists`);
    return left;
  }

  async bundle(label: string, opts: BundleOptions = {}): Promise<Bundle> {
    const { makeBundle } = await loadMkbundle();
    const dir = path.join(this.tmp, `${label}-${++seq}`);
    const host = path.join(dir, 'host');
    const cgroupsPath = `/tsrun-conf-${this.tag}-${seq}`;
    this.cgroups.add(cgroupsPath);
    makeBundle(dir, {
      args: opts.args,
      mutate: (c) => {
        c.linux.cgroupsPath = cgroupsPath;
        // Older runtimes (crun 1.8) refuse ociVersion 1.2.0: CONF_OCI_VERSION=1.0.2 lets them run.
        if (process.env.CONF_OCI_VERSION) c.ociVersion = process.env.CONF_OCI_VERSION;
        c.mounts.push({ destination: '/m', type: 'bind', source: host, options: ['rbind', 'rw'] });
        opts.mutate?.(c);
      },
    });
    fs.mkdirSync(host, { recursive: true });
    fs.mkdirSync(path.join(dir, 'rootfs/m'), { recursive: true });
    return { dir, host, cgroupsPath };
  }

  /** Edit a bundle's config.json in place (for mutations that need the bundle's paths). */
  editConfig(b: Bundle, mutate: (c: Config) => void): void {
    const file = path.join(b.dir, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Config;
    mutate(c);
    fs.writeFileSync(file, JSON.stringify(c, null, 2));
  }

  /**
   * Run the runtime with the suite's --root. stdio go to files, not pipes: a created
   * container inherits them, and waiting for a pipe to close would wait for the container.
   */
  rt(args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): RunResult {
    const n = ++this.io;
    const out = path.join(this.tmp, `io-${n}.out`);
    const err = path.join(this.tmp, `io-${n}.err`);
    const outFd = fs.openSync(out, 'w');
    const errFd = fs.openSync(err, 'w');
    try {
      const r = spawnSync(this.bin, ['--root', this.root, ...args], {
        cwd: opts.cwd,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFd, errFd],
        input: opts.input,
        timeout: (opts.timeoutMs ?? 30_000) * SLOW,
        killSignal: 'SIGKILL',
      });
      const res = { code: r.status, signal: r.signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
      // CONF_VERBOSE=1 shows every runtime call: handy when a test fails for an unexpected reason.
      if (process.env.CONF_VERBOSE) console.log(`$ ${args.join(' ')} -> ${res.code}\n${res.stderr.trim()}`);
      return res;
    } finally {
      fs.closeSync(outFd);
      fs.closeSync(errFd);
    }
  }

  /** Run and require success; the error carries the runtime's stderr. */
  ok(args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): RunResult {
    const r = this.rt(args, opts);
    if (r.code !== 0) {
      throw new Error(`${path.basename(this.bin)} ${args.join(' ')} failed (code ${r.code}, signal ${r.signal}): ${r.stderr.trim()}`);
    }
    return r;
  }

  create(id: string, b: Bundle | string, opts: { cwd?: string } = {}): RunResult {
    return this.ok(['create', '--bundle', typeof b === 'string' ? b : b.dir, id], opts);
  }

  start(id: string): RunResult {
    return this.ok(['start', id]);
  }

  state(id: string): OciState {
    return JSON.parse(this.ok(['state', id]).stdout) as OciState;
  }

  /** The state, or undefined when the runtime says the container does not exist (or fails). */
  tryState(id: string): OciState | undefined {
    const r = this.rt(['state', id]);
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as OciState;
  }

  async waitStatus(id: string, status: string, timeoutMs = 5000): Promise<OciState | undefined> {
    return waitFor(() => {
      const s = this.tryState(id);
      return s?.status === status ? s : undefined;
    }, timeoutMs);
  }

  /** Where runc and tsrun keep a container's state (a CLI convention, not the spec's). */
  stateDir(id: string): string {
    return path.join(this.root, id);
  }

  /** Tear down every container, hook leftover, cgroup, mount and file the suite made. */
  async cleanup(): Promise<void> {
    for (const id of this.ids) this.rt(['delete', '--force', id], { timeoutMs: 15_000 });
    killRecordedPids(this.tmp);
    // Children before parents.
    for (const cg of [...this.cgroups].sort((a, b) => b.length - a.length)) await removeCgroup(cg);
    unmountUnder(this.tmp);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** Hook scripts record the pid of a long-running hook in *.pid files; kill any still alive. */
function killRecordedPids(dir: string): void {
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory() && !e.isSymbolicLink()) return e.name === 'rootfs' ? [] : walk(p);
      return e.name.endsWith('.pid') ? [p] : [];
    });
  if (!fs.existsSync(dir)) return;
  for (const f of walk(dir)) {
    const pid = Number(fs.readFileSync(f, 'utf8').trim());
    // Check comm so a recycled pid is never killed.
    if (pid > 1 && pidAlive(pid) && readComm(pid) === 'sleep') {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

function readComm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Remove a test cgroup everywhere, killing anything a broken runtime left in it. */
async function removeCgroup(cgroupsPath: string): Promise<void> {
  for (const dir of cgroupDirs(cgroupsPath)) {
    for (let attempt = 0; attempt < 20 && fs.existsSync(dir); attempt++) {
      try {
        const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        for (const p of procs) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        fs.rmdirSync(dir);
      } catch {
        await sleep(100);
      }
    }
  }
}

/** Lazily unmount anything mounted under dir (deepest first) so rm -rf never walks into a mount. */
function unmountUnder(dir: string): void {
  const prefix = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  const points = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === prefix || p.startsWith(prefix + '/')))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}
