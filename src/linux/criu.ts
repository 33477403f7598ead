// Driving CRIU through its command line (`criu dump|pre-dump|restore`), not `criu swrk`:
// the RPC needs a SOCK_SEQPACKET socketpair and SCM_RIGHTS, which node cannot do without
// more native code, plus a protobuf library; the command line takes every option tsrun
// passes, and CRIU's notifications (setup-namespaces, post-restore, ...) reach tsrun
// through an action script that writes to a FIFO tsrun reads and waits for tsrun's answer
// on a second one, so hooks and the state record are done while criu waits, as with the RPC.
// The RPC's orphan-pts-master (a restored console's pty master handed back) has no flag:
// runtime/checkpoint.ts makes the new pty itself and gives criu the slave (--inherit-fd).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsrunError } from '../common/errors';
import type { Mount, Spec } from '../oci/types';
import type { CgroupRef } from './cgroups/types';
import { DEFAULT_DEVICES } from './plan';

/**
 * Run `criu check` and throw its complaint when CRIU cannot checkpoint on this host.
 * Returns when it can.
 */
export function criuCheck(op: 'checkpoint' | 'restore', criu = 'criu'): void {
  const r = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${JSON.stringify(criu)}: executable file not found (install criu, or pass --criu PATH)` : `${criu}: ${code ?? r.error.message}`;
    throw new TsrunError(`${op}: cannot run criu check: ${why}`);
  }
  if (r.status !== 0) {
    const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
    const complaint = lines.find((l) => /^Error\b/.test(l)) ?? lines[0] ?? `exit status ${r.status ?? r.signal}`;
    throw new TsrunError(`${op}: criu check failed (${r.status === null ? `signal ${r.signal}` : `exit status ${r.status}`}): ${complaint}`);
  }
}

/** A CRIU notification: the action name and CRTOOLS_INIT_PID (0 when criu gave none). */
export type CriuNotify = (action: string, pid: number) => void | Promise<void>;

export interface CriuCall {
  criu: string;
  /** dump, pre-dump or restore. */
  command: string;
  args: string[];
  /** criu's log file (criu writes it into its work directory). */
  log: string;
  /** Child fd number -> our fd, passed to criu at that number (--inherit-fd, --status-fd). */
  fds?: Map<number, number>;
  /** Notifications, answered once this returns; a throw makes the action script fail. */
  notify?: CriuNotify;
  /** Called with criu's pid before criu starts (it waits on a gate meanwhile): restore puts
   *  criu into the container's cgroups here, as the restored tasks start in criu's. */
  beforeStart?: (pid: number) => void;
}

/** Run criu to its end; throws with the first error line of its log when it fails. */
export async function runCriu(c: CriuCall): Promise<void> {
  const chan = c.notify ? new NotifyChannel(c.notify) : null;
  const args = [c.command, ...c.args, ...(chan ? ['--action-script', chan.script] : [])];
  const stdio: Array<'inherit' | 'pipe' | 'ignore' | number> = ['inherit', 'inherit', 'inherit'];
  if (c.beforeStart) stdio[3] = 'pipe';
  for (const [n, fd] of c.fds ?? []) {
    while (stdio.length < n) stdio.push('ignore');
    stdio[n] = fd;
  }
  // The gate: sh waits for a line on fd 3, closes it and execs criu.
  const child = c.beforeStart
    ? spawn('/bin/sh', ['-c', 'read -r _ <&3 || exit 125; exec 3<&-; exec "$0" "$@"', c.criu, ...args], { stdio })
    : spawn(c.criu, args, { stdio });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  chan?.start();
  try {
    if (c.beforeStart && child.pid) {
      const gate = child.stdio[3] as NodeJS.WritableStream;
      try {
        c.beforeStart(child.pid);
      } catch (err) {
        child.kill('SIGKILL');
        await exited;
        throw err;
      }
      gate.end('go\n');
    }
    const r = await exited;
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      throw new TsrunError(`criu ${c.command}: ${code === 'ENOENT' ? `${JSON.stringify(c.criu)}: executable file not found` : code ?? r.error.message}`);
    }
    if (chan?.failure) throw chan.failure;
    if (r.code !== 0) {
      const how = r.signal ? `signal ${r.signal}` : `exit status ${r.code}`;
      throw new TsrunError(`criu ${c.command} failed (${how}): ${firstError(c.log)} (log: ${c.log})`);
    }
  } finally {
    await chan?.close();
  }
}

/** The first "Error" line of a criu log, without its timestamp; or a note that there is none. */
export function firstError(log: string): string {
  let text = '';
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    return 'no log';
  }
  const line = text.split('\n').find((l) => /Error/.test(l));
  return line ? line.replace(/^\(\s*[\d.]+\)\s*/, '').trim() : 'no error line in the log';
}

/**
 * The action script's two FIFOs: the script writes "ACTION PID" to req and waits for "ok"
 * on ans. Both are held open read-write here, so neither open ever blocks and reads never
 * see EOF between scripts.
 */
class NotifyChannel {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-criu-'));
  readonly script = path.join(this.dir, 'notify.sh');
  failure: Error | null = null;
  private reqFd = -1;
  private ansFd = -1;
  private loop: Promise<void> | null = null;
  private done = false;

  constructor(private handler: CriuNotify) {
    const req = path.join(this.dir, 'req');
    const ans = path.join(this.dir, 'ans');
    for (const f of [req, ans]) spawnSync('mkfifo', ['-m', '600', f]);
    if (!fs.existsSync(req) || !fs.existsSync(ans)) throw new TsrunError(`mkfifo in ${this.dir} failed`);
    fs.writeFileSync(
      this.script,
      [
        '#!/bin/sh',
        '# tsrun: hand this CRIU notification to the tsrun that runs criu and wait for its answer',
        `printf '%s %s\\n' "$CRTOOLS_SCRIPT_ACTION" "\${CRTOOLS_INIT_PID:-0}" > '${req}' || exit 1`,
        `read -r ans < '${ans}' || exit 1`,
        '[ "$ans" = ok ]',
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    this.reqFd = fs.openSync(req, fs.constants.O_RDWR);
    this.ansFd = fs.openSync(ans, fs.constants.O_RDWR);
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let buf = '';
    const chunk = Buffer.alloc(4096);
    for (;;) {
      const n = await new Promise<number>((resolve, reject) => fs.read(this.reqFd, chunk, 0, chunk.length, null, (e, r) => (e ? reject(e) : resolve(r))));
      buf += chunk.subarray(0, n).toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === '\0end') return;
        const [action, pid] = line.split(' ');
        let answer = 'ok';
        if (!this.failure) {
          try {
            await this.handler(action, Number(pid) || 0);
          } catch (err) {
            this.failure = err as Error;
          }
        }
        if (this.failure) answer = 'fail';
        fs.writeSync(this.ansFd, `${answer}\n`);
      }
      if (this.done) return;
    }
  }

  async close(): Promise<void> {
    this.done = true;
    try {
      fs.writeSync(this.reqFd, '\0end\n');
      await this.loop;
    } finally {
      fs.closeSync(this.reqFd);
      fs.closeSync(this.ansFd);
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Whether a config mount is a bind mount (its source is outside the container). */
function isBind(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/** A mount point as CRIU names it: absolute, normalized, no trailing slash. */
const dest = (p: string) => path.posix.normalize(`/${p}`).replace(/(.)\/+$/, '$1');

/**
 * The mounts CRIU must treat as external, as criu arguments: `--external mnt[MOUNTPOINT]:KEY`
 * at dump, `--external mnt[KEY]:HOST_PATH` at restore. The key is the mount point (masked
 * files: "/dev/null"), so a restore maps each back to the bundle's source of the day.
 * maskedFile tells which masked paths are files at dump time (directories get a tmpfs, which
 * CRIU saves itself).
 */
export function externalMountArgs(
  phase: 'dump' | 'restore',
  spec: Spec,
  cgroup: CgroupRef | null,
  hasV1: boolean,
  maskedFile: (p: string) => boolean = () => false,
): string[] {
  const pairs = new Map<string, string>();
  const add = (mountpoint: string, key: string, source: string) => {
    if (phase === 'dump') pairs.set(mountpoint, key);
    else pairs.set(key, source);
  };
  const cgroupNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
  for (const m of spec.mounts ?? []) {
    if (isBind(m) && m.source) add(dest(m.destination), dest(m.destination), m.source);
    else if ((m.type === 'cgroup' || m.type === 'cgroup2') && !cgroupNs && cgroup) {
      // Without a cgroup namespace the container's cgroup dirs are bound in (plan.ts).
      if (!hasV1 || m.type === 'cgroup2') {
        if (cgroup.dirs.unified) add(dest(m.destination), dest(m.destination), cgroup.dirs.unified);
      } else {
        // One bind per v1 hierarchy, at <dest>/<hierarchy dir name> (/sys/fs/cgroup/<name>/...).
        for (const dir of new Set(Object.values(cgroup.dirs))) {
          const mp = path.posix.join(dest(m.destination), dir.split('/')[4] ?? '');
          add(mp, mp, dir);
        }
      }
    }
  }
  for (const p of spec.linux?.maskedPaths ?? []) if (phase === 'restore' || maskedFile(p)) add(dest(p), '/dev/null', '/dev/null');
  for (const d of new Set([...DEFAULT_DEVICES, ...(spec.linux?.devices ?? [])].map((x) => dest(x.path)))) add(d, d, d);
  return [...pairs].flatMap(([k, v]) => ['--external', `mnt[${k}]:${v}`]);
}

/**
 * The mountpoints a restore must find in the rootfs, as create would have made them: CRIU
 * mounts onto existing paths only, and a rootfs may be a fresh copy (podman --import).
 * Skipped: cgroup mounts (inside /sys/fs/cgroup, which CRIU restores or the kernel
 * provides) and anything beneath a tmpfs mount (CRIU restores the tmpfs with its content).
 * isFile: whether a bind source is a file (its mountpoint is then a file).
 */
export function restoreMountpoints(spec: Spec, isFile: (source: string) => boolean): Array<{ path: string; file: boolean }> {
  const mounts = spec.mounts ?? [];
  const tmpfs = mounts.filter((m) => m.type === 'tmpfs').map((m) => dest(m.destination));
  const under = (d: string, parent: string) => d !== parent && (parent === '/' || d.startsWith(parent + '/'));
  return mounts
    .filter((m) => m.type !== 'cgroup' && m.type !== 'cgroup2')
    .filter((m) => !tmpfs.some((t) => under(dest(m.destination), t)))
    .map((m) => ({ path: dest(m.destination), file: isBind(m) && !!m.source && isFile(m.source) }));
}
