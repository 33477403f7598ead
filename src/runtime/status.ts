// A container's status is derived on every read, never trusted from state.json: the init
// pid must still run with the start time recorded at create (a reused pid is someone else),
// and a zombie init is stopped (runc and crun agree; PID 1 may take a while to reap it).
import * as fs from 'node:fs';
import { cgroupFrozen } from '../linux/cgroups/freezer';
import { OCI_VERSION, type State, type Status } from '../oci/types';
import type { ContainerRecord } from './record';
import { initAlive } from '../linux/proc';
import type { Store } from './store';

export function deriveStatus(rec: ContainerRecord, store: Store): Status {
  // A provisional record: "creating" while its create runs; a dead creator left a stopped,
  // never-started container for delete to clean up.
  if (rec.pid === 0) return rec.creator && initAlive({ pid: rec.creator.pid, pidStartTime: rec.creator.startTime }) ? 'creating' : 'stopped';
  if (!initAlive(rec)) return 'stopped';
  if (rec.cgroup && isFrozen(rec)) return 'paused';
  return fs.existsSync(store.fifoPath(rec.id)) ? 'created' : 'running';
}

function isFrozen(rec: ContainerRecord): boolean {
  try {
    return cgroupFrozen(rec.cgroup!);
  } catch {
    return false;
  }
}

/** The runtime-spec state (what hooks get on stdin). pid is absent once stopped. */
export function toState(rec: ContainerRecord, status: Status): State {
  // Built in the spec's field order: ociVersion, id, status, pid, bundle, annotations.
  const out = { ociVersion: OCI_VERSION, id: rec.id, status } as State;
  if (status !== 'stopped' && rec.pid > 0) out.pid = rec.pid;
  out.bundle = rec.bundle;
  const ann = rec.config?.annotations;
  if (ann && Object.keys(ann).length) out.annotations = ann;
  return out;
}

/**
 * What a seccomp listener (linux.seccomp.listenerPath) receives with the notify fd, in
 * runc's shape (its ContainerProcessState): the fd names, the process's host pid, the
 * listenerMetadata and the container state.
 */
export function seccompListenerState(rec: ContainerRecord, pid: number, status: Status): string {
  const metadata = (rec.config?.linux?.seccomp as { listenerMetadata?: string } | undefined)?.listenerMetadata;
  const state = toState(rec, status);
  return JSON.stringify({ ociVersion: state.ociVersion, fds: ['seccompFd'], pid, ...(metadata ? { metadata } : {}), state });
}

/** What `state()` and `list()` return: the runtime-spec State document, plus the rootfs
 *  and creation time runc's `state` shows and (list only) the owner. */
export interface ContainerState extends State {
  rootfs: string;
  /** RFC 3339 time of create. */
  created: string;
  /** User name of the state dir's owner (list() fills it). */
  owner?: string;
}

export function containerState(rec: ContainerRecord, status: Status, owner?: string): ContainerState {
  const out: ContainerState = { ...toState(rec, status), rootfs: rec.rootfs, created: rec.created };
  if (owner !== undefined) out.owner = owner;
  return out;
}
