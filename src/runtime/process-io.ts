// Small pieces shared by create, run and exec: the console socket check, the pid file,
// signal forwarding and forking stage 1 into its cgroup.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CgroupManager } from '../linux/cgroups';
import type { Native } from '../native/shim';
import { mark } from '../common/timing';
import { ErrorCode, TsrunError, fsError } from '../common/errors';

/** --console-socket must name an existing unix socket. */
export function checkSocket(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (err) {
    throw fsError(`--console-socket ${p}`, err, ErrorCode.Usage);
  }
  if (!st.isSocket()) throw new TsrunError(`--console-socket ${p}: not a unix socket`, { code: ErrorCode.Usage });
}

/** Written atomically (temp file + rename) and only once the process exists: callers poll for
 *  it. The pid file's directory may be writable by others (/tmp): the temp file gets an
 *  unpredictable name and is created exclusively without following symlinks, so nothing
 *  planted there is ever written through; rename() replaces a symlink at the final name
 *  itself, never its target. */
export function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  for (let attempt = 0; ; attempt++) {
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${Math.random().toString(36).slice(2)}`);
    let fd: number;
    try {
      fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 10) continue;
      throw fsError(`write pid file ${abs}`, err);
    }
    try {
      try {
        fs.writeSync(fd, String(pid));
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, abs);
      return;
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* renamed or gone */
      }
      throw fsError(`write pid file ${abs}`, err);
    }
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** Pass the signals a foreground tsrun gets on to pid; returns the function that stops it. */
export function forwardSignals(pid: number): () => void {
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* it exited */
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  return () => {
    for (const s of FORWARDED) process.off(s, forward);
  };
}

/** Fork stage 1 with plan, born inside the cgroup where the host allows it (pure v2: see
 *  CgroupManager.birthDir); joined: false means the caller still has to apply() it. */
export function spawnInCgroup(native: Native, plan: Buffer, cgroup: CgroupManager | null): { pid: number; syncFd: number; joined: boolean } {
  const dir = cgroup?.birthDir() ?? null;
  let fd = -1;
  if (dir) {
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      fd = -1; // apply() will say what is wrong with it
    }
  }
  try {
    const r = native.spawn(plan, fd);
    mark(r.joined ? 'stage 1 forked into its cgroup' : 'stage 1 forked');
    return r;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}
