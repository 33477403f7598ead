// `create`: validate the bundle, launch the init through the shim, run the runtime-namespace
// hooks, and leave the init blocked on exec.fifo. On any failure nothing is left behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadBundle } from '../oci/load';
import type { IdMapping, Spec } from '../oci/types';
import { newCgroup, primeMigration, type CgroupManager } from '../linux/cgroups';
import { buildPlan } from '../linux/plan';
import { childError, loadNative, SYNC, type Native } from '../native/shim';
import { ErrorCode, TsrunError, fsError } from '../common/errors';
import { hookLog, runHooks } from './hooks';
import { HOOKS } from '../oci/hooks';
import { checkPreservedFds, checkSocket, spawnInCgroup, writePidFile } from './process-io';
import type { CreateOptions, LaunchDeps, RuntimeOptions } from './options';
import { newRecord, type ContainerRecord } from './record';
import { seccompListenerState, toState } from './status';
import { Store } from './store';
import { mark } from '../common/timing';

/** How long the parent waits for one step of the child before giving up. */
const STEP_TIMEOUT_MS = 60_000;

export async function create(g: RuntimeOptions, o: CreateOptions, deps: LaunchDeps = {}): Promise<void> {
  Store.validateId(o.id);
  const listen = listenFds();
  const preserve = o.preserveFds ?? 0;
  if (preserve + listen) checkPreservedFds(preserve + listen, listen ? `--preserve-fds ${preserve} + LISTEN_FDS ${listen}` : `--preserve-fds ${preserve}`);
  const { spec, bundleDir, rootfs } = loadBundle(o.bundle);
  mark('bundle loaded and validated');
  g.logger?.debug?.(`create ${o.id}: bundle ${bundleDir} validated, rootfs ${rootfs}`);
  if (!spec.process) throw new TsrunError('config.json: /process: required to create a container');
  const store = new Store(g.root);
  store.reserve(o.id);
  primeMigration();
  await store.withLock(o.id, () => {
    const launch = new Launch(g, o, store, spec, bundleDir, rootfs, deps);
    try {
      launch.run();
    } catch (err) {
      launch.cleanup();
      throw err;
    }
  });
}

class Launch {
  private native!: Native;
  private cgroup: CgroupManager | null = null;
  private stage1 = 0;
  private init = 0;
  private syncFd = -1;
  private rec: ContainerRecord | null = null;

  constructor(
    private g: RuntimeOptions,
    private o: CreateOptions,
    private store: Store,
    private spec: Spec,
    private bundle: string,
    private rootfs: string,
    private deps: LaunchDeps,
  ) {}

  run(): void {
    this.native = this.deps.native ?? loadNative();
    mark('native shim loaded');
    const { spec, o, store, native } = this;
    const fifo = store.fifoPath(o.id);
    native.mkfifo(fifo, 0o622);
    // mkfifo applies the umask; the init may be another host uid (user namespace).
    fs.chmodSync(fifo, 0o622);
    const user = spec.process!.user;
    // Rootless cannot give files away (EPERM); 0622 already lets the init write to it.
    if ((process.geteuid?.() ?? 0) === 0) fs.chownSync(fifo, hostId(spec.linux?.uidMappings, user.uid), hostId(spec.linux?.gidMappings, user.gid));
    const rootless = this.g.rootless ?? process.geteuid?.() !== 0;
    const cgroup = (this.deps.newCgroup ?? newCgroup)({
      id: o.id,
      cgroupsPath: spec.linux?.cgroupsPath,
      systemd: !!this.g.systemdCgroup,
      rootless,
      resources: spec.linux?.resources,
    });
    // A process joining a frozen cgroup stops where it stands: stage 1 would never answer.
    // Checked before this.cgroup is set, so the cleanup leaves that (pre-existing) cgroup alone.
    const frozen = cgroup.frozenAt();
    if (frozen) throw new TsrunError(`container's cgroup unexpectedly frozen: ${frozen} (thaw it first)`);
    this.cgroup = cgroup;
    // A provisional record before any cgroup directory exists: if this create is killed
    // from here on, `delete --force` finds the cgroups to remove (status "stopped").
    store.save(this.record(0, true));
    mark('fifo made, cgroup opened');
    const plan = buildPlan({
      id: o.id,
      spec,
      rootfs: this.rootfs,
      bundle: this.bundle,
      fifoPath: fifo,
      consoleSocket: o.consoleSocket && path.resolve(o.consoleSocket),
      noPivot: !!o.noPivot,
      noNewKeyring: !!o.noNewKeyring,
      preserveFds: (o.preserveFds ?? 0) + listenFds(),
      cgroup: cgroup.ref,
      rootless,
    });
    for (const msg of plan.warnings) this.g.logger?.warn(msg);
    if (o.consoleSocket) checkSocket(o.consoleSocket);
    if (o.pidfdSocket) checkSocket(o.pidfdSocket, '--pidfd-socket');
    mark('plan built');

    const { pid, syncFd, joined } = spawnInCgroup(native, plan.bytes, cgroup);
    this.stage1 = pid;
    this.syncFd = syncFd;
    if (!joined) cgroup.apply(pid);
    if (cgroup.skipped) this.g.logger?.warn(`rootless: running without a cgroup of its own: ${cgroup.skipped}`);
    this.g.logger?.debug?.(`create ${o.id}: stage 1 (pid ${pid}) in cgroup ${cgroup.ref.path}`);
    // An absent device list still means runc's default policy (deny all but the basics).
    const resources = spec.linux?.resources ?? {};
    cgroup.set({ ...resources, devices: resources.devices ?? [] }, { listedDevices: (spec.linux?.devices ?? []).map((d) => d.path) });
    native.send(syncFd, SYNC.GO);
    mark('cgroup joined and set');

    // Stage 1: id maps on request, then the init's pid.
    for (;;) {
      const m = this.receive('setting up namespaces');
      if (m.type === SYNC.USERMAP) {
        writeIdMaps(m.value, spec.linux?.uidMappings, spec.linux?.gidMappings);
        native.send(syncFd, SYNC.GO);
      } else if (m.type === SYNC.INIT_PID) {
        this.init = m.value;
        break;
      } else {
        throw new TsrunError(`unexpected message ${m.type} from the container's stage 1`);
      }
    }
    native.wait(this.stage1);
    this.stage1 = 0;
    mark('init cloned, stage 1 reaped');
    this.g.logger?.debug?.(`create ${o.id}: container init is pid ${this.init}`);

    const rec = this.record(this.init, false);
    store.save(rec);
    this.rec = rec;
    mark('state saved');

    // Runtime-namespace hooks, then let the init build the rootfs and exec-wait.
    runHooks('prestart', spec.hooks?.prestart, toState(rec, HOOKS.prestart.status), hookLog(this.g));
    runHooks('createRuntime', spec.hooks?.createRuntime, toState(rec, HOOKS.createRuntime.status), hookLog(this.g));
    // Hooks inside the container see the init's pid in the container's pid namespace; the
    // shim hands the two states to createContainer and startContainer hooks.
    const inner = { ...rec, pid: nsPid(this.init) };
    const inside = [HOOKS.createContainer.status, HOOKS.startContainer.status].map((s) => JSON.stringify(toState(inner, s)));
    // Third: what a seccomp listener gets with the notify fd (runc sends "creating").
    const listener = (spec.linux?.seccomp as { listenerPath?: string } | undefined)?.listenerPath ? `${seccompListenerState(rec, this.init, 'creating')}\0` : '';
    native.send(syncFd, SYNC.GO, Buffer.from(`${inside[0]}\0${inside[1]}\0${listener}`));
    const m = this.receive('setting up the container');
    mark('init ready (rootfs built)');
    if (m.type !== SYNC.READY) throw new TsrunError(`unexpected message ${m.type} from the container init`);
    this.g.logger?.debug?.(`create ${o.id}: rootfs ready, init waits on exec.fifo`);
    native.close(syncFd);
    this.syncFd = -1;
    if (o.pidfdSocket) {
      try {
        native.sendPidfd(path.resolve(o.pidfdSocket), this.init);
      } catch (e) {
        throw new TsrunError(`--pidfd-socket: ${(e as Error).message}`, { code: ErrorCode.Usage });
      }
    }
    if (o.pidFile) writePidFile(o.pidFile, this.init);
  }

  private record(pid: number, provisional: boolean): ContainerRecord {
    const cgroup = this.cgroup?.ref ?? null;
    return newRecord({ id: this.o.id, bundle: this.bundle, rootfs: this.rootfs, config: this.spec, cgroup }, pid, provisional);
  }

  /** Next message from the children; a child's error becomes ours. */
  private receive(step: string) {
    const m = this.native.recv(this.syncFd, STEP_TIMEOUT_MS);
    if (m === null) throw new TsrunError(`timed out ${step} after ${STEP_TIMEOUT_MS / 1000}s`, { code: ErrorCode.Timeout });
    if (m.type === SYNC.ERROR) throw childError(m);
    if (m.type === 0) throw new TsrunError(`container init exited while ${step}`);
    return m;
  }

  /** Undo a failed create: processes, cgroups, state dir, then the poststop hooks. Never throws. */
  cleanup(): void {
    for (const pid of [this.stage1, this.init]) {
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      try {
        this.native.wait(pid);
      } catch {
        /* not our child or already reaped */
      }
    }
    if (this.syncFd >= 0) this.native.close(this.syncFd);
    try {
      this.cgroup?.destroy();
    } catch {
      /* best effort: report the original error */
    }
    try {
      this.store.remove(this.o.id);
    } catch {
      /* best effort */
    }
    // The spec continues a failed create at poststop (only once something was created).
    if (this.rec) runHooks('poststop', this.spec.hooks?.poststop, toState(this.rec, HOOKS.poststop.status), hookLog(this.g));
  }
}

/**
 * Write the user namespace's maps. As root: straight into /proc/<pid>/{uid,gid}_map.
 * Rootless: the kernel lets a user map only its own id (and, for gid_map, only after
 * setgroups is denied); any other mapping (subordinate ids from /etc/subuid) goes through
 * the setuid newuidmap/newgidmap from Debian's uidmap, as runc does.
 */
function writeIdMaps(pid: number, uid?: IdMapping[], gid?: IdMapping[]): void {
  const fmt = (maps: IdMapping[]) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
  const euid = process.geteuid?.() ?? 0;
  const own = (maps: IdMapping[], id: number) => maps.length === 1 && maps[0].hostID === id && maps[0].size === 1;
  const helper = (tool: string, maps: IdMapping[]) => {
    const args = [String(pid), ...maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : (r.stderr || `exit ${r.status}`).trim().split('\n').pop();
      throw new TsrunError(`${tool} ${args.join(' ')}: ${why}${r.error ? ' (install uidmap)' : ''}`);
    }
  };
  try {
    if (uid?.length) {
      if (euid !== 0 && !own(uid, euid)) helper('newuidmap', uid);
      else fs.writeFileSync(`/proc/${pid}/uid_map`, fmt(uid));
    }
    if (gid?.length) {
      const egid = process.getegid?.() ?? 0;
      if (euid !== 0 && !own(gid, egid)) helper('newgidmap', gid);
      else {
        if (euid !== 0) fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
        fs.writeFileSync(`/proc/${pid}/gid_map`, fmt(gid));
      }
    }
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    throw fsError(`write uid/gid mappings of pid ${pid}`, err);
  }
}

/** The pid of a process in its own (innermost) pid namespace: the NSpid line's last field. */
function nsPid(pid: number): number {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m);
    const last = Number(line?.[1].trim().split(/\s+/).pop());
    return Number.isInteger(last) && last > 0 ? last : pid;
  } catch {
    return pid;
  }
}

/** The host id a container id maps to (itself without mappings). */
function hostId(maps: IdMapping[] | undefined, id: number): number {
  for (const m of maps ?? []) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + id - m.containerID;
  return id;
}

/** systemd socket activation: LISTEN_FDS fds after stdio are passed on, like runc. */
function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

