// Run the runtime under test in another cgroup layout than the host's, on this hybrid host:
// each call runs in a private mount namespace where /sys/fs/cgroup shows only the v1
// controllers ('v1': the hybrid cgroup2 tree unmounted) or only cgroup2 ('v2': the tree the
// host has at /sys/fs/cgroup/unified, mounted at /sys/fs/cgroup). 'hybrid' runs plainly.
// Every call of one container must use the same mode (state.json records the layout).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { RunResult, Suite } from '../../conformance/lib/harness';

export type Mode = 'hybrid' | 'v1' | 'v2';
export const UNIFIED = '/sys/fs/cgroup/unified';

/** Why modes other than the host's cannot be staged here, or undefined. */
export function modesSkipReason(): string | undefined {
  if (!fs.existsSync(path.join(UNIFIED, 'cgroup.procs'))) return 'host has no hybrid cgroup2 tree at /sys/fs/cgroup/unified';
  if (spawnSync('unshare', ['--version']).status !== 0) return 'no unshare(1)';
  return undefined;
}

const SCRIPTS: Record<Exclude<Mode, 'hybrid'>, string> = {
  v1: 'mount --make-rprivate / && umount -l /sys/fs/cgroup/unified && exec "$@"',
  v2: 'mount --make-rprivate / && umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "$@"',
};

/** The command line (for spawn) that runs the suite's runtime with args in the given layout. */
export function commandIn(s: Suite, mode: Mode, args: string[]): [string, string[]] {
  if (mode === 'hybrid') return [s.bin, ['--root', s.root, ...args]];
  return ['unshare', ['-m', 'sh', '-c', SCRIPTS[mode], 'sh', s.bin, '--root', s.root, ...args]];
}

/** s.rt(args) in the given layout. */
export function rtIn(s: Suite, mode: Mode, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): RunResult {
  if (mode === 'hybrid' && !opts.env) return s.rt(args, opts);
  const out = path.join(s.tmp, `ns-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const outFd = fs.openSync(`${out}.out`, 'w');
  const errFd = fs.openSync(`${out}.err`, 'w');
  try {
    const [cmd, argv] = commandIn(s, mode, args);
    const r = spawnSync(cmd, argv, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', outFd, errFd],
      env: { ...process.env, ...opts.env },
      input: opts.input,
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
    });
    return { code: r.status, signal: r.signal, stdout: fs.readFileSync(`${out}.out`, 'utf8'), stderr: fs.readFileSync(`${out}.err`, 'utf8') };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
  }
}

export function okIn(s: Suite, mode: Mode, args: string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
  const r = rtIn(s, mode, args, opts);
  if (r.code !== 0) throw new Error(`${path.basename(s.bin)} ${args.join(' ')} (${mode}) failed (code ${r.code}, signal ${r.signal}): ${r.stderr.trim()}`);
  return r;
}

/** Host directory of a container's cgroup for a controller ('unified' for cgroup2). */
export function hostDir(mode: Mode, cgroupsPath: string, ctrl: string): string {
  if (mode === 'v2' || ctrl === 'unified') return path.join(UNIFIED, cgroupsPath);
  return path.join('/sys/fs/cgroup', ctrl, cgroupsPath);
}

export function readFile(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}
