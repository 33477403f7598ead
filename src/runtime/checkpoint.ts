// `checkpoint` / `restore` through CRIU's command line (linux/criu.ts says why not its RPC).
// When criu fails they ask `criu check` whether CRIU can work on this host at all; where it
// cannot, they fail with criu check's complaint on one line and leave the container (criu
// thaws it), bundle and state root as they were. A checkpoint writes runc's image layout (CRIU's images plus descriptors.json, the
// init's stdio), so images move between tsrun and runc. A restore rebuilds the container
// the way create would have: its cgroups (criu starts inside them), the external mounts
// mapped to the bundle's sources, namespaces given by path joined, the hooks prestart and
// createRuntime run at CRIU's setup-namespaces notification, the state record (status
// running, the restored pid), the pid file; in the foreground it waits for the init.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, TsrunError, fsError } from '../common/errors';
import { detectMode, newCgroup, openCgroup, type CgroupManager, type CgroupRef } from '../linux/cgroups';
import { criuCheck, externalMountArgs, restoreMountpoints, runCriu } from '../linux/criu';
import { exitCodeOf, loadNative, type Native } from '../native/shim';
import { HOOKS } from '../oci/hooks';
import { loadBundle } from '../oci/load';
import type { Spec } from '../oci/types';
import { deleteContainer } from './delete';
import { hookLog, runHooks } from './hooks';
import { requireStatus } from './lifecycle';
import type { ProcessIo, RuntimeOptions } from './options';
import { checkSocket, noop, writePidFile } from './process-io';
import { newRecord, type ContainerRecord } from './record';
import { deriveStatus, toState } from './status';
import { proxyTerminal } from './tty-proxy';
import { Store } from './store';

export { criuCheck };

export const MANAGE_CGROUPS_MODES = ['soft', 'full', 'strict', 'ignore'] as const;

/** What runc 1.1's checkpoint flags ask for. */
export interface CheckpointOptions {
  /** The criu binary (global --criu; default "criu" from PATH). */
  criu?: string;
  /** Default: ./checkpoint, as runc. */
  imagePath?: string;
  /** Default: the image path (criu's default). */
  workPath?: string;
  /** Relative to the image path, as criu's --prev-images-dir. */
  parentPath?: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  lazyPages?: boolean;
  /** With lazyPages: an open fd criu writes \0 to once the lazy page server is ready. */
  statusFd?: number;
  pageServer?: string;
  fileLocks?: boolean;
  preDump?: boolean;
  manageCgroupsMode?: string;
  emptyNs?: string[];
  autoDedup?: boolean;
}

export interface RestoreOptions extends Omit<CheckpointOptions, 'parentPath' | 'leaveRunning' | 'statusFd' | 'pageServer' | 'preDump'> {
  bundle: string;
  consoleSocket?: string;
  detach?: boolean;
  pidFile?: string;
  noSubreaper?: boolean;
  noPivot?: boolean;
  lsmProfile?: string;
  lsmMountContext?: string;
  /** Signal forwarding for a foreground restore (the CLI passes its own). */
  io?: ProcessIo;
}

const NAMESPACES = ['network', 'pid', 'ipc', 'uts', 'mount', 'user', 'cgroup', 'time'];
/** OCI namespace type -> CRIU's name. */
const CRIU_NS: Record<string, string> = { network: 'net', pid: 'pid', ipc: 'ipc', uts: 'uts', mount: 'mnt', user: 'user', cgroup: 'cgroup', time: 'time' };
/** Namespaces CRIU takes as external by key (--external at dump, --inherit-fd at restore). */
const EXTERNAL_NS: Record<string, string> = { network: 'extRootNetNS', pid: 'extRootPidNS' };
const DESCRIPTORS = 'descriptors.json';

function validate(o: CheckpointOptions): void {
  if (o.manageCgroupsMode !== undefined && !(MANAGE_CGROUPS_MODES as readonly string[]).includes(o.manageCgroupsMode)) {
    throw new TsrunError(`invalid --manage-cgroups-mode value ${JSON.stringify(o.manageCgroupsMode)} (one of: ${MANAGE_CGROUPS_MODES.join(', ')})`);
  }
  for (const ns of o.emptyNs ?? []) {
    if (!NAMESPACES.includes(ns)) throw new TsrunError(`invalid --empty-ns value ${JSON.stringify(ns)} (a namespace type: ${NAMESPACES.join(', ')})`);
    // CRIU creates only an empty network namespace (its --empty-ns net); runc's wording.
    if (ns !== 'network') throw new TsrunError(`namespace ${JSON.stringify(ns)} is not supported (--empty-ns: only network)`);
  }
  if (o.pageServer !== undefined && !/^.+:\d+$/.test(o.pageServer)) {
    throw new TsrunError(`invalid --page-server ${JSON.stringify(o.pageServer)}: expected ADDRESS:PORT`);
  }
  if (o.statusFd !== undefined && o.statusFd !== -1) {
    if (!o.lazyPages) throw new TsrunError('--status-fd: only with --lazy-pages (criu reports readiness of the lazy page server on it)');
    try {
      fs.fstatSync(o.statusFd);
    } catch {
      throw new TsrunError(`invalid --status-fd argument ${o.statusFd}: bad file descriptor`);
    }
  }
}

/** The criu options both directions share. */
function commonArgs(o: CheckpointOptions, spec: Spec): string[] {
  const a = ['-v4', `--manage-cgroups=${o.manageCgroupsMode ?? 'soft'}`];
  if (o.tcpEstablished) a.push('--tcp-established');
  if (o.extUnixSk) a.push('--ext-unix-sk');
  if (o.shellJob) a.push('--shell-job');
  if (o.fileLocks) a.push('--file-locks');
  if (o.lazyPages) a.push('--lazy-pages');
  if (o.autoDedup) a.push('--auto-dedup');
  // As runc: the network namespace is always left empty (dumped without its devices,
  // addresses and routes, created empty on restore): whoever set it up (CNI) does so again.
  // --empty-ns network asks for what is done anyway.
  a.push('--empty-ns', 'net');
  // runc's annotation for a container's own CRIU configuration file ("" = none).
  const config = spec.annotations?.['org.criu.config'];
  if (config) a.push('--config', config);
  return a;
}

/** -D and -W: the image directory (made, 0700, as runc) and the work directory. */
function dirs(o: CheckpointOptions, make: boolean): { images: string; work: string } {
  const images = path.resolve(o.imagePath || 'checkpoint');
  const work = o.workPath ? path.resolve(o.workPath) : images;
  for (const d of make ? [images, work] : [work]) {
    try {
      fs.mkdirSync(d, { mode: 0o700, recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(`mkdir ${d}`, err);
    }
  }
  return { images, work };
}

/** runc's rule: --parent-path is relative to the image path and names a directory there. */
function checkParent(images: string, parent: string | undefined): void {
  if (!parent) return;
  if (path.isAbsolute(parent)) throw new TsrunError('--parent-path must be relative', { code: ErrorCode.Usage });
  const real = path.join(images, parent);
  let st: fs.Stats;
  try {
    st = fs.statSync(real);
  } catch (err) {
    throw fsError(`invalid --parent-path: stat ${real}`, err, ErrorCode.Usage);
  }
  if (!st.isDirectory()) throw new TsrunError(`invalid --parent-path: stat ${real}: ENOTDIR (not a directory)`, { code: ErrorCode.Usage });
}

/** tsrun's record of a checkpointed terminal, beside CRIU's images. */
const TERMINAL = 'tsrun-terminal.json';
interface TerminalRecord {
  /** CRIU's key of the external tty, tty[rdev:dev] in hex, as it names it. */
  key: string;
  /** Whether the pty slave was bound on /dev/console (dumped as an external mount). */
  console: boolean;
}

/**
 * The init's pty slave, as CRIU keys an external tty. The master is outside the container
 * (the caller's, from --console-socket), so CRIU must be told the slave is external: at
 * restore a new slave is handed in under the same key and its master goes to the caller.
 */
function terminalOf(pid: number): TerminalRecord {
  for (const fd of [0, 1, 2]) {
    let st: fs.Stats;
    try {
      st = fs.statSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const major = Math.floor(st.rdev / 256) & 0xfff;
    if (st.isCharacterDevice() && major >= 136 && major <= 143) {
      const mounts = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
      const console = mounts.split('\n').some((l) => l.split(' ')[4] === '/dev/console');
      return { key: `tty[${st.rdev.toString(16)}:${st.dev.toString(16)}]`, console };
    }
  }
  throw new TsrunError('checkpoint: process.terminal is true but the init has no pty on its stdio (nothing to hand back on restore)');
}

export async function checkpoint(g: RuntimeOptions, id: string, o: CheckpointOptions): Promise<void> {
  validate(o);
  const store = new Store(g.root);
  Store.validateId(id);
  let destroy = false;
  await store.withLock(id, async () => {
    const rec = store.load(id);
    requireStatus('checkpoint', deriveStatus(rec, store), id);
    checkParent(path.resolve(o.imagePath || 'checkpoint'), o.parentPath);
    const made = [path.resolve(o.imagePath || 'checkpoint'), ...(o.workPath ? [path.resolve(o.workPath)] : [])].filter((d) => !fs.existsSync(d));
    const { images, work } = dirs(o, true);
    const pid = rec.pid;
    const args = ['-t', String(pid), '-D', images, '-W', work, '-o', 'dump.log', '--root', rec.rootfs, ...commonArgs(o, rec.config)];
    if (o.leaveRunning) args.push('--leave-running');
    const freezer = rec.cgroup && (rec.cgroup.dirs.unified ?? rec.cgroup.dirs.freezer);
    if (freezer) args.push('--freeze-cgroup', freezer);
    if (o.pageServer) {
      const at = o.pageServer.lastIndexOf(':');
      const where = ['--address', o.pageServer.slice(0, at), '--port', o.pageServer.slice(at + 1)];
      // With --lazy-pages criu itself serves the pages left behind there (the restore side's
      // `criu lazy-pages` fetches them); otherwise it sends them to a page server there.
      args.push(...(o.lazyPages ? where : ['--page-server', ...where]));
    }
    if (o.parentPath) args.push('--prev-images-dir', o.parentPath, '--track-mem');
    else if (o.preDump) args.push('--track-mem');
    const fds = new Map<number, number>();
    if (o.statusFd !== undefined && o.statusFd >= 0) {
      args.push('--status-fd', String(o.statusFd));
      fds.set(o.statusFd, o.statusFd);
    }
    for (const ns of rec.config.linux?.namespaces ?? []) {
      if (ns.path && EXTERNAL_NS[ns.type]) args.push('--external', `${CRIU_NS[ns.type]}[${fs.statSync(ns.path).ino}]:${EXTERNAL_NS[ns.type]}`);
    }
    if (!o.preDump) {
      const maskedFile = (p: string) => {
        try {
          return !fs.statSync(`/proc/${pid}/root/${p}`).isDirectory();
        } catch {
          return false;
        }
      };
      args.push(...externalMountArgs('dump', rec.config, rec.cgroup, hasV1(rec.cgroup), maskedFile));
      // The init's stdio as the kernel names it (pipe:[123]): restore hands the caller's own
      // fds to the restored process in place of pipes (runc's descriptors.json).
      const fdNames = [0, 1, 2].map((n) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${n}`);
        } catch {
          return '/dev/null';
        }
      });
      fs.writeFileSync(path.join(images, DESCRIPTORS), JSON.stringify(fdNames), { mode: 0o600 });
      if (rec.config.process?.terminal) {
        const tty = terminalOf(pid);
        args.push('--external', tty.key);
        if (tty.console) args.push('--external', 'mnt[/dev/console]:/dev/console');
        fs.writeFileSync(path.join(images, TERMINAL), JSON.stringify(tty), { mode: 0o600 });
      }
    }
    g.logger?.debug?.(`checkpoint ${id}: criu ${o.preDump ? 'pre-dump' : 'dump'} ${args.join(' ')}`);
    try {
      await runCriu({ criu: o.criu ?? 'criu', command: o.preDump ? 'pre-dump' : 'dump', args, log: path.join(work, 'dump.log'), fds });
    } catch (err) {
      // A failed dump leaves the tasks running (criu thaws them). Where CRIU cannot work
      // at all, say why in criu check's words and take back the directories made here.
      explain('checkpoint', o.criu, err, () => {
        for (const d of made) fs.rmSync(d, { recursive: true, force: true });
      });
    }
    destroy = !o.leaveRunning && !o.preDump;
  });
  // The processes are gone (criu killed them after the dump): free the cgroups, run the
  // poststop hooks, remove the record, as runc destroys the container.
  if (destroy) await deleteContainer(g, id, true);
}

/**
 * After criu failed: `criu check` (seconds under emulation, so not run before every call, as
 * runc does not either) decides whether the complaint is CRIU's host support; then undo()
 * runs and its error is thrown. Otherwise the original error stands.
 */
function explain(op: 'checkpoint' | 'restore', criu: string | undefined, err: unknown, undo: () => void): never {
  try {
    criuCheck(op, criu);
  } catch (checkErr) {
    undo();
    throw checkErr;
  }
  throw err;
}

function hasV1(ref: CgroupRef | null): boolean {
  return ref ? ref.mode !== 'v2' : detectMode() !== 'v2';
}

export async function restore(g: RuntimeOptions, id: string, o: RestoreOptions): Promise<number> {
  validate(o);
  Store.validateId(id);
  const store = new Store(g.root);
  if (store.exists(id)) throw new TsrunError(`container with id exists: ${id}`);
  const { spec, bundleDir, rootfs } = loadBundle(o.bundle); // a bad bundle is reported before criu is asked
  if (!spec.process) throw new TsrunError('config.json: /process: required to restore a container');
  const terminal = !!spec.process.terminal;
  if (!terminal && o.consoleSocket) throw new TsrunError('restore: --console-socket: process.terminal is false, there is no console to send', { code: ErrorCode.Usage });
  if (terminal && !o.consoleSocket) {
    // As run: a foreground restore may hold the pty itself; a detached one has nobody to give it to.
    if (o.detach) throw new TsrunError('cannot allocate a terminal for a detached container without --console-socket');
    if (!o.io?.terminal) throw new TsrunError("process.terminal is true: a console socket or the caller's terminal streams (io.terminal) are required", { code: ErrorCode.Usage });
  }
  if (o.consoleSocket) checkSocket(o.consoleSocket);
  // runc takes --no-pivot on restore and passes nothing to CRIU for it (CRIU has no such
  // option and always pivots into the restored root): the same here, said out loud.
  if (o.noPivot) g.logger?.warn('restore: --no-pivot has no effect: criu always pivot_roots into the restored root');
  for (const ns of spec.linux?.namespaces ?? []) {
    if (ns.path && ns.type === 'cgroup') throw new TsrunError('restore: a cgroup namespace given by path cannot be joined by criu');
  }
  const images = path.resolve(o.imagePath || 'checkpoint');
  let fdNames: string[];
  try {
    fdNames = JSON.parse(fs.readFileSync(path.join(images, DESCRIPTORS), 'utf8')) as string[];
  } catch (err) {
    explain('restore', o.criu, fsError(`restore: read ${path.join(images, DESCRIPTORS)} (not a container checkpoint?)`, err), noop);
  }
  let tty: TerminalRecord | undefined;
  if (terminal) {
    try {
      tty = JSON.parse(fs.readFileSync(path.join(images, TERMINAL), 'utf8')) as TerminalRecord;
    } catch (err) {
      throw fsError(`restore: process.terminal is true but ${path.join(images, TERMINAL)} cannot be read (a checkpoint of a container without a terminal, or not made by tsrun?)`, err);
    }
  }
  store.reserve(id);
  const r = new Restore(g, id, o, store, spec, bundleDir, rootfs);
  await store.withLock(id, async () => {
    try {
      await r.run(images, fdNames, tty);
    } catch (err) {
      r.cleanup();
      explain('restore', o.criu, err, noop);
    }
  });
  const pid = r.pid;
  if (o.pidFile) writePidFile(o.pidFile, pid);
  // The new pty's master: to the console socket, or (foreground) held and proxied here.
  let proxy: ReturnType<typeof proxyTerminal> | undefined;
  if (r.ptyMaster >= 0) {
    if (o.consoleSocket) {
      try {
        loadNative().sendFd(path.resolve(o.consoleSocket), r.ptyMaster, r.ptyName);
      } finally {
        fs.closeSync(r.ptyMaster);
      }
    } else {
      proxy = proxyTerminal(loadNative(), r.ptyMaster, o.io!.terminal!());
    }
  }
  if (o.detach) return 0;
  // Foreground: the init is our child (criu restored it as its sibling); wait, then delete.
  const stop = o.io?.forwardSignals?.(pid) ?? noop;
  try {
    const status = await loadNative().waitAsync(pid);
    // Let the last output through: the master reports EOF/EIO once the slave side is gone.
    if (proxy) await Promise.race([proxy.done, new Promise((res) => setTimeout(res, 1000))]);
    return exitCodeOf(status);
  } finally {
    proxy?.stop();
    stop();
    await deleteContainer(g, id, true);
  }
}

class Restore {
  pid = 0;
  /** With a terminal: the new pty's master (for the caller) and its slave's path. */
  ptyMaster = -1;
  ptyName = '';
  private native!: Native;
  private cgroup: CgroupManager | null = null;
  private criuRoot = '';
  private hooksRan = false;
  private openFds: number[] = [];

  constructor(
    private g: RuntimeOptions,
    private id: string,
    private o: RestoreOptions,
    private store: Store,
    private spec: Spec,
    private bundle: string,
    private rootfs: string,
  ) {}

  async run(images: string, fdNames: string[], tty: TerminalRecord | undefined): Promise<void> {
    const { spec, o, store } = this;
    this.native = loadNative();
    const work = dirs(o, false).work;
    const cgroup = newCgroup({
      id: this.id,
      cgroupsPath: spec.linux?.cgroupsPath,
      systemd: !!this.g.systemdCgroup,
      rootless: this.g.rootless ?? process.geteuid?.() !== 0,
      resources: spec.linux?.resources,
    });
    const frozen = cgroup.frozenAt();
    if (frozen) throw new TsrunError(`container's cgroup unexpectedly frozen: ${frozen} (thaw it first)`);
    this.cgroup = cgroup;
    // Provisional (pid 0): a restore killed midway leaves something `delete --force` clears.
    store.save(this.record(0, true));
    const isFile = (src: string) => {
      try {
        return !fs.statSync(path.resolve(this.bundle, src)).isDirectory();
      } catch {
        return false;
      }
    };
    this.native.makeMountpoints(this.rootfs, restoreMountpoints(spec, isFile));
    // CRIU's --root must be a mount point whose parent is not overmounted: bind the rootfs
    // to a directory of our own.
    this.criuRoot = path.join(store.dir(this.id), 'criu-root');
    fs.mkdirSync(this.criuRoot);
    this.native.bindMount(this.rootfs, this.criuRoot);

    const args = ['-D', images, '-W', work, '-o', 'restore.log', '--root', this.criuRoot, '--restore-detached', '--restore-sibling', '--evasive-devices', ...commonArgs(o, spec)];
    args.push(...cgroupRoots(cgroup.ref));
    args.push(...externalMountArgs('restore', spec, cgroup.ref, hasV1(cgroup.ref)));
    if (o.lsmProfile) args.push('--lsm-profile', o.lsmProfile);
    if (o.lsmMountContext) args.push('--lsm-mount-context', o.lsmMountContext);
    const fds = new Map<number, number>();
    let next = 4; // 0-2: our stdio, 3: the gate
    for (const ns of spec.linux?.namespaces ?? []) {
      if (!ns.path) continue;
      if (EXTERNAL_NS[ns.type]) {
        let fd: number;
        try {
          fd = fs.openSync(ns.path, 'r');
        } catch (err) {
          throw fsError(`restore: open ${ns.type} namespace ${ns.path}`, err);
        }
        this.openFds.push(fd);
        fds.set(next, fd);
        args.push('--inherit-fd', `fd[${next}]:${EXTERNAL_NS[ns.type]}`);
        next++;
      } else {
        args.push('--join-ns', `${CRIU_NS[ns.type]}:${ns.path}`);
      }
    }
    fdNames.forEach((name, i) => {
      if (name.includes('pipe:')) args.push('--inherit-fd', `fd[${i}]:${name}`);
    });
    if (tty) {
      // A new pty in the host's devpts stands in for the checkpointed slave (CRIU's external
      // tty, by key); its path is bound on /dev/console where the old slave was.
      const pty = this.native.openPty();
      this.ptyMaster = pty.master;
      this.ptyName = pty.name;
      this.openFds.push(pty.slave);
      fds.set(next, pty.slave);
      args.push('--inherit-fd', `fd[${next}]:${tty.key}`);
      next++;
      if (tty.console) args.push('--external', `mnt[/dev/console]:${pty.name}`);
    }
    this.g.logger?.debug?.(`restore ${this.id}: criu restore ${args.join(' ')}`);
    try {
      await runCriu({
        criu: o.criu ?? 'criu',
        command: 'restore',
        args,
        log: path.join(work, 'restore.log'),
        fds,
        beforeStart: (criuPid) => {
          // criu forks the restored tasks: they start in its cgroups (created and set up here).
          cgroup.apply(criuPid);
          const resources = spec.linux?.resources ?? {};
          cgroup.set({ ...resources, devices: resources.devices ?? [] });
        },
        notify: (action, pid) => this.notify(action, pid),
      });
    } finally {
      this.release();
    }
    if (!this.pid) throw new TsrunError('restore: criu finished without reporting the restored process');
  }

  private notify(action: string, pid: number): void {
    if (action === 'setup-namespaces' && pid > 0) {
      // As runc: the runtime-namespace creation hooks run once the namespaces exist.
      this.pid = pid;
      const rec = this.record(pid, false);
      this.store.save(rec);
      this.hooksRan = true;
      runHooks('prestart', this.spec.hooks?.prestart, toState(rec, HOOKS.prestart.status), hookLog(this.g));
      runHooks('createRuntime', this.spec.hooks?.createRuntime, toState(rec, HOOKS.createRuntime.status), hookLog(this.g));
    } else if (action === 'post-restore' && pid > 0) {
      this.pid = pid;
      this.store.save(this.record(pid, false));
      this.g.logger?.debug?.(`restore ${this.id}: restored init is pid ${pid}`);
    }
  }

  private record(pid: number, provisional: boolean): ContainerRecord {
    const cgroup = this.cgroup?.ref ?? null;
    return newRecord({ id: this.id, bundle: this.bundle, rootfs: this.rootfs, config: this.spec, cgroup }, pid, provisional);
  }

  /** Undo a failed restore: the restored process, the root mount, cgroups, state. Never throws. */
  cleanup(): void {
    if (this.ptyMaster >= 0) {
      fs.closeSync(this.ptyMaster);
      this.ptyMaster = -1;
    }
    if (this.pid) {
      try {
        process.kill(this.pid, 'SIGKILL');
        this.native.wait(this.pid);
      } catch {
        /* gone, or not ours */
      }
    }
    this.release();
    try {
      if (this.cgroup) {
        const mgr = openCgroup(this.cgroup.ref);
        for (const p of mgr.pids()) process.kill(p, 'SIGKILL');
        this.cgroup.destroy();
      }
    } catch {
      /* best effort: report the original error */
    }
    try {
      this.store.remove(this.id);
    } catch {
      /* best effort */
    }
    if (this.hooksRan) {
      const rec = this.record(this.pid, false);
      runHooks('poststop', this.spec.hooks?.poststop, toState(rec, HOOKS.poststop.status), hookLog(this.g));
    }
  }

  /** The root bind mount and the namespace fds, which only criu needed. */
  release(): void {
    if (this.criuRoot) {
      this.native.unmountDetach(this.criuRoot);
      try {
        fs.rmdirSync(this.criuRoot);
      } catch {
        /* still busy or already gone */
      }
      this.criuRoot = '';
    }
    for (const fd of this.openFds.splice(0)) fs.closeSync(fd);
  }
}

/** --cgroup-root for each hierarchy: the container's cgroup path under its mount point. */
function cgroupRoots(ref: CgroupRef): string[] {
  const out: string[] = [];
  for (const [ctrl, dir] of Object.entries(ref.dirs)) {
    if (ctrl === 'unified') {
      if (ref.mode === 'v2') out.push('--cgroup-root', dir.replace(/^\/sys\/fs\/cgroup/, '') || '/');
      continue;
    }
    const rel = '/' + dir.split('/').slice(5).join('/');
    out.push('--cgroup-root', `${ctrl}:${rel}`);
  }
  return out;
}
