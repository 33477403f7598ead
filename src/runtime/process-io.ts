// Small pieces shared by create, run and exec: the console socket check, the pid file,
// signal forwarding and forking stage 1 into its cgroup.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CgroupManager } from '../linux/cgroups';
import type { Native } from '../native/shim';
import { mark } from '../common/timing';
import { ErrorCode, TsrunError, fsError } from '../common/errors';

/** --console-socket (or --pidfd-socket) must name an existing unix socket. */
export function checkSocket(p: string, flag = '--console-socket'): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (err) {
    throw fsError(`${flag} ${p}`, err, ErrorCode.Usage);
  }
  if (!st.isSocket()) throw new TsrunError(`${flag} ${p}: not a unix socket`, { code: ErrorCode.Usage });
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

export function noop(): void {}

/** What node's event loop opens at start-up (epoll, eventfds, io_uring...): never a caller's. */
const NODE_OWN = /^anon_inode:\[(eventpoll|eventfd|io_uring|signalfd|timerfd|pidfd)\]$/;

/**
 * --preserve-fds N (and $LISTEN_FDS) pass fds 3..3+N-1 to the container: each must be one
 * the caller passed. Called first thing in create and exec, before tsrun opens any file of
 * its own, so the range can hold only inherited fds and node's start-up fds; those are
 * refused. (The close-on-exec flag cannot tell them apart: node sets it on every inherited
 * fd at start-up.) Node's start-up fds are its event loops' epoll and eventfd and their
 * self-pipes, whose two ends both live in this process; a caller's pipe is refused only if
 * it passed both ends too. The forked child closes everything outside the range.
 */
export function checkPreservedFds(count: number, what: string): void {
  const links = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      links.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      /* the fd readdir itself used */
    }
  }
  const seen = new Map<string, number>();
  for (const [fd, l] of links) if (fd > 2) seen.set(l, (seen.get(l) ?? 0) + 1);
  for (let fd = 3; fd < 3 + count; fd++) {
    const l = links.get(fd);
    if (l === undefined) throw new TsrunError(`${what}: fd ${fd} was not passed to tsrun (it is not open)`);
    if (NODE_OWN.test(l) || (l.startsWith('pipe:') && seen.get(l)! > 1)) {
      throw new TsrunError(`${what}: fd ${fd} was not passed to tsrun (it is tsrun's own ${l})`);
    }
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** Pass the signals a foreground tsrun gets on to pid; returns the function that stops it.
 *  The library installs it only when the caller passes it (ProcessIo.forwardSignals). */
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
