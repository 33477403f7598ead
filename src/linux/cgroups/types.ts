// The cgroup interfaces every manager implements and callers hold (a leaf: v1.ts, v2.ts and
// index.ts all import from here, so there is no type cycle between them).
import type { LinuxResources } from '../../oci/types';
import type { DeviceRule } from './convert';
import type { OomWatch } from './oom';
import type { Stats } from './stats';

export interface SetOptions {
  /** The paths linux.devices lists: their default device allow rules give way (create). */
  listedDevices?: readonly string[];
}

export interface ManagerExtras {
  rootless?: boolean;
}

/** Serializable description of a container's cgroups, stored in state.json. */
export interface CgroupRef {
  /** Which layout the host had when the container was created. */
  mode: 'v1' | 'v2' | 'hybrid';
  /** The cgroupsPath as resolved (absolute, relative to the cgroup roots, always starting with '/'). */
  path: string;
  /** v1/hybrid: controller name -> absolute directory; v2: { unified: dir }. */
  dirs: Record<string, string>;
  /** --systemd-cgroup on a systemd host: the scope unit that holds the cgroup (systemd.ts). */
  systemd?: { unit: string; id?: string; user?: boolean };
}

export interface CgroupManager {
  readonly ref: CgroupRef;
  /** Create the cgroup directories (idempotent) and move pid into them. */
  apply(pid: number): void;
  /**
   * After apply(): why the container has no cgroup of its own (rootless without
   * permission: runc's rule is to carry on without one, with a warning), else null.
   */
  readonly skipped?: string | null;
  /**
   * Pure v2 only: create the directory and return it, for a child to be born in it
   * (clone3 CLONE_INTO_CGROUP: no migration, no RCU grace period). null elsewhere: v1
   * and hybrid hosts still migrate into their v1 hierarchies, which costs the same.
   */
  birthDir(): string | null;
  /** Write resource limits. Throws a clear error naming the file and value on failure. */
  set(resources: LinuxResources, o?: SetOptions): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /**
   * Before apply(): the cgroup that would freeze a process joining now (the container's
   * own, or the nearest existing ancestor whose state a new cgroup inherits), else null.
   */
  frozenAt(): string | null;
  /** Every pid in the container's cgroup (for kill --all and delete --force). */
  pids(): number[];
  /** Remove the directories (after the processes are gone). Never throws for ENOENT. */
  destroy(): void;
  /** Usage counters in runc's `events` shape (stats.ts); files the host lacks read as 0. */
  stats(): Stats;
  /** Start watching for OOM kills (oom.ts); null where there is no memory controller. */
  oomWatch(): OomWatch | null;
  /**
   * The ordered device rules of the last set() that carried linux.resources.devices.
   * v1: already written to devices.allow/deny. v2: NOT enforced by set(); a
   * BPF_PROG_TYPE_CGROUP_DEVICE program built from them must be attached to
   * ref.dirs.unified by the native shim.
   */
  readonly deviceRules: DeviceRule[] | null;
}

export interface CgroupOptions {
  id: string;
  cgroupsPath?: string;
  systemd?: boolean;
  rootless?: boolean;
  /** linux.resources: the systemd driver turns them into unit properties at creation. */
  resources?: LinuxResources;
}
