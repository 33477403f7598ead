// The cgroup interfaces every manager implements and callers hold (a leaf: v1.ts, v2.ts and
// index.ts all import from here, so there is no type cycle between them).
import type { Device, LinuxResources } from '../../oci/types';
import type { DeviceRule } from './convert';

export interface ManagerExtras {
  rootless?: boolean;
  /** linux.devices: each created device is also allowed in the device cgroup. */
  linuxDevices?: Device[];
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
   * Pure v2 only: create the directory and return it, for a child to be born in it
   * (clone3 CLONE_INTO_CGROUP: no migration, no RCU grace period). null elsewhere: v1
   * and hybrid hosts still migrate into their v1 hierarchies, which costs the same.
   */
  birthDir(): string | null;
  /** Write resource limits. Throws a clear error naming the file and value on failure. */
  set(resources: LinuxResources): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** Every pid in the container's cgroup (for kill --all and delete --force). */
  pids(): number[];
  /** Remove the directories (after the processes are gone). Never throws for ENOENT. */
  destroy(): void;
  /** Usage counters for `events --stats`; sections the host lacks are absent. */
  stats(): CgroupStats;
  /**
   * The ordered device rules of the last set() that carried linux.resources.devices.
   * v1: already written to devices.allow/deny. v2: NOT enforced by set(); a
   * BPF_PROG_TYPE_CGROUP_DEVICE program built from them must be attached to
   * ref.dirs.unified by the native shim.
   */
  readonly deviceRules: DeviceRule[] | null;
}

/** Numbers in bytes / nanoseconds, shaped after runc's `events --stats`. */
export interface CgroupStats {
  memory?: { usage: number; max?: number; limit?: number; failcnt?: number };
  pids?: { current: number; limit?: number };
  cpu?: { total: number; user?: number; kernel?: number };
}

export interface CgroupOptions {
  id: string;
  cgroupsPath?: string;
  systemd?: boolean;
  rootless?: boolean;
  /** linux.devices: the devices the container gets are also allowed in its device cgroup. */
  linuxDevices?: Device[];
  /** linux.resources: the systemd driver turns them into unit properties at creation. */
  resources?: LinuxResources;
}
