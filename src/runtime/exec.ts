// `exec`: run another process in a created or running container. It joins every namespace
// and the cgroup of the init, then gets the same process setup as the init (user, caps,
// rlimits, cwd...). Foreground: wait for it and return its exit code; --detach: leave it.
import * as path from 'node:path';
import { joinCgroupDirs, openCgroup, subCgroupTargets } from '../linux/cgroups';
import { buildExecPlan } from '../linux/plan';
import { childError, exitCodeOf, loadNative, type Native, SYNC } from '../native/shim';
import { ConsoleReceiver, proxyTerminal } from './tty-proxy';
import type { ContainerRecord } from './record';
import type { Process } from '../oci/types';
import { ErrorCode, TsrunError, fsError } from '../common/errors';
import { parseJson } from '../oci/load';
import { checkExecProcess } from '../oci/semantic';
import { validateProcess } from '../oci/validate';
import { readJsonFile } from '../common/read-input';
import { checkPreservedFds, checkSocket, noop, spawnInCgroup, writePidFile } from './process-io';
import type { LaunchDeps, Logger, ProcessIo, RuntimeOptions } from './options';
import { requireStatus } from './lifecycle';
import { deriveStatus, seccompListenerState } from './status';
import { Store } from './store';

export interface ExecOptions {
  id: string;
  /** The process: from --process FILE or built from the command line over config.process. */
  process: Process;
  consoleSocket?: string;
  pidFile?: string;
  /** Return once the process runs (0) instead of waiting for its exit code. */
  detach?: boolean;
  preserveFds?: number;
  io?: ProcessIo;
  /** runc 1.2's --pidfd-socket: a unix socket that receives a pidfd of the new process. */
  pidfdSocket?: string;
  /** runc's --ignore-paused (exec into a paused container): refused with a clear error. */
  ignorePaused?: boolean;
  /** runc's --cgroup: [<controller>:]<path> sub-cgroups of the container's to join instead. */
  cgroups?: string[];
}

export async function exec(g: RuntimeOptions, o: ExecOptions, deps: LaunchDeps = {}): Promise<number> {
  const store = new Store(g.root);
  const rec = store.load(o.id);
  const status = deriveStatus(rec, store);
  if (status === 'paused' && o.ignorePaused) {
    // runc lets the process join the frozen cgroup, where it freezes before its execve;
    // tsrun would wait on it with no way to report. Refuse instead of hanging.
    throw new TsrunError(`exec --ignore-paused: container ${o.id} is paused and tsrun does not exec into a frozen cgroup; resume it first`, { code: ErrorCode.BadStatus });
  }
  requireStatus('exec', status, o.id);
  if (!o.process.args?.length) throw new TsrunError('exec: no command given (args must not be empty)');
  if (o.preserveFds) checkPreservedFds(o.preserveFds, `--preserve-fds ${o.preserveFds}`);
  if (o.consoleSocket) checkSocket(o.consoleSocket);
  if (o.pidfdSocket) checkSocket(o.pidfdSocket, '--pidfd-socket');
  const native = deps.native ?? loadNative();
  // A terminal without --console-socket: tsrun takes the pty master and proxies it to the
  // caller's terminal in the foreground, as `run` does (and runc's exec -t).
  if (o.process.terminal && !o.consoleSocket) {
    if (o.detach) throw new TsrunError('cannot allocate a terminal for a detached process without --console-socket');
    if (!o.io?.terminal) throw new TsrunError('process.terminal is true: a console socket or the caller\'s terminal streams (io.terminal) are required', { code: ErrorCode.Usage });
    const receiver = new ConsoleReceiver(native);
    try {
      return await execProcess(g, o, rec, native, deps, receiver);
    } finally {
      receiver.close();
    }
  }
  return execProcess(g, o, rec, native, deps);
}

async function execProcess(g: RuntimeOptions, o: ExecOptions, rec: ContainerRecord, native: Native, deps: LaunchDeps, receiver?: ConsoleReceiver): Promise<number> {
  const streams = receiver ? o.io!.terminal!() : undefined;
  // The pty starts with the caller's window size: the process may ask before the proxy runs.
  if (streams?.output.isTTY) o = { ...o, process: { ...o.process, consoleSize: { height: streams.output.rows, width: streams.output.columns } } };
  const warnings: string[] = [];
  const plan = buildExecPlan({
    id: o.id,
    initPid: rec.pid,
    namespaces: (rec.config.linux?.namespaces ?? []).map((n) => n.type),
    process: o.process,
    consoleSocket: receiver?.socketPath ?? (o.consoleSocket && path.resolve(o.consoleSocket)),
    noNewKeyring: true,
    preserveFds: o.preserveFds ?? 0,
    seccomp: rec.config.linux?.seccomp,
    warnings,
  });
  for (const msg of warnings) g.logger?.warn(msg);
  const cgroup = rec.cgroup ? (deps.openCgroup ?? openCgroup)(rec.cgroup) : null;
  if (o.cgroups?.length && !rec.cgroup) throw new TsrunError('exec --cgroup: the container has no cgroup');
  // Checked before anything starts (runc only finds out when it writes cgroup.procs).
  const subCgroups = o.cgroups?.length && rec.cgroup ? subCgroupTargets(rec.cgroup, o.cgroups) : null;
  g.logger?.debug?.(`exec ${o.id}: joining the namespaces of init pid ${rec.pid} to run ${JSON.stringify(o.process.args)}`);
  const { pid: stage1, syncFd, joined } = spawnInCgroup(native, plan, subCgroups ? null : cgroup);
  let child = 0;
  try {
    if (subCgroups) joinCgroupDirs(subCgroups, stage1);
    else if (cgroup && !joined) cgroup.apply(stage1);
    native.send(syncFd, SYNC.GO);
    const m = native.recv(syncFd, 30_000);
    if (!m || m.type !== SYNC.INIT_PID) throw m?.type === SYNC.ERROR ? childError(m) : new TsrunError('exec: joining the container failed');
    child = m.value;
    native.wait(stage1);
    // The payload's third string is what a seccomp listener gets with the notify fd.
    native.send(syncFd, SYNC.GO, Buffer.from(`\0\0${seccompListenerState(rec, child, 'running')}\0`));
    const ready = native.recv(syncFd, 30_000);
    if (!ready || ready.type !== SYNC.READY) {
      throw ready?.type === SYNC.ERROR ? childError(ready) : new TsrunError('exec: the process died before exec');
    }
    if (o.pidfdSocket) {
      try {
        native.sendPidfd(path.resolve(o.pidfdSocket), child);
      } catch (e) {
        throw new TsrunError(`--pidfd-socket: ${(e as Error).message}`, { code: ErrorCode.Usage });
      }
    }
    g.logger?.debug?.(`exec ${o.id}: process pid ${child} set up, exec'ing`);
  } catch (err) {
    for (const pid of [stage1, child]) if (pid) killAndReap(native, pid);
    throw err;
  } finally {
    native.close(syncFd);
  }
  if (o.pidFile) {
    try {
      writePidFile(o.pidFile, child);
    } catch (err) {
      // runc too: a process whose pid the caller cannot learn is not left running.
      killAndReap(native, child);
      throw err;
    }
  }
  if (o.detach) return 0;
  // The init sent the master while setting up, before it reported ready.
  const tty = receiver && streams ? proxyTerminal(native, receiver.receive(), streams) : undefined;
  const stopForwarding = o.io?.forwardSignals?.(child) ?? noop;
  try {
    const status = await native.waitAsync(child);
    // Let the last output through: the master reports EOF/EIO once the slave side is gone.
    if (tty) await Promise.race([tty.done, new Promise((r) => setTimeout(r, 1000))]);
    return exitCodeOf(status);
  } finally {
    tty?.stop();
    stopForwarding();
  }
}

/**
 * `exec --process FILE`: a runtime-spec process document, checked like config.json's process
 * (schema, then the same semantic rules; errors carry a JSON pointer into the file). What it
 * leaves out gets runc's defaults: user 0:0 and the container's capabilities; everything
 * else (env, rlimits, noNewPrivileges...) is not taken from the container.
 */
export function loadProcessFile(file: string, container: Process | undefined, logger?: Logger): Process {
  let text: string;
  try {
    text = readJsonFile(file, '--process ');
  } catch (err) {
    throw err instanceof TsrunError ? err : fsError(`--process ${file}`, err);
  }
  const name = path.basename(file);
  const doc = parseJson(text, name);
  validateProcess(doc, name);
  checkExecProcess(doc, name, (m) => logger?.warn(m));
  const p: Process = { ...doc };
  // The document may lack user or its ids although the type says otherwise.
  const u: Partial<Process['user']> = doc.user ?? {};
  p.user = { ...u, uid: u.uid ?? 0, gid: u.gid ?? 0 };
  if (!p.capabilities && container?.capabilities) p.capabilities = JSON.parse(JSON.stringify(container.capabilities));
  return p;
}

function killAndReap(native: ReturnType<typeof loadNative>, pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
    native.wait(pid);
  } catch {
    /* gone already */
  }
}

/** runc's exec flags applied over the container's config.process. */
export function processFromFlags(
  base: Process,
  f: { args: string[]; cwd?: string; env?: string[]; user?: string; additionalGids?: number[]; caps?: string[]; noNewPrivs?: boolean; tty?: boolean },
): Process {
  const p: Process = JSON.parse(JSON.stringify(base));
  p.args = f.args;
  p.terminal = !!f.tty;
  if (f.cwd) p.cwd = f.cwd;
  if (f.env?.length) p.env = mergeEnv(p.env ?? [], f.env);
  if (f.user) {
    const [u, gr] = f.user.split(':');
    const uid = Number(u);
    const gid = gr === undefined ? 0 : Number(gr);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new TsrunError(`--user ${f.user}: expected UID[:GID] numbers`);
    p.user = { ...p.user, uid, gid };
  }
  if (f.additionalGids?.length) p.user.additionalGids = f.additionalGids;
  if (f.caps?.length) {
    const c = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) {
      c[set] = [...new Set([...(c[set] ?? []), ...f.caps])];
    }
    // runc (since 1.1.2, CVE-2022-29162) leaves the inheritable set alone, so its ambient
    // raise of these fails and is ignored: ask for ambient only where it can be raised.
    const inheritable = new Set(c.inheritable ?? []);
    c.ambient = [...new Set([...(c.ambient ?? []), ...f.caps.filter((x) => inheritable.has(x))])];
  }
  if (f.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map(base.map((e) => [e.split('=')[0], e]));
  for (const e of extra) out.set(e.split('=')[0], e);
  return [...out.values()];
}
