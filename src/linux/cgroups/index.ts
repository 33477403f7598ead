// The one cgroups interface of tsrun. Implementations (v1, v2, hybrid) live beside this
// file; callers only ever see CgroupManager and CgroupRef.
import type { LinuxResources } from '../../oci/types';

/** Serializable description of a container's cgroups, stored in state.json. */
export interface CgroupRef {
  /** Which layout the host had when the container was created. */
  mode: 'v1' | 'v2' | 'hybrid';
  /** The cgroupsPath as resolved (absolute, relative to the cgroup roots, always starting with '/'). */
  path: string;
  /** v1/hybrid: controller name -> absolute directory; v2: { unified: dir }. */
  dirs: Record<string, string>;
}

export interface CgroupManager {
  readonly ref: CgroupRef;
  /** Create the cgroup directories (idempotent) and move pid into them. */
  apply(pid: number): void;
  /** Write resource limits. Throws a clear error naming the file and value on failure. */
  set(resources: LinuxResources): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** Every pid in the container's cgroup (for kill --all and delete --force). */
  pids(): number[];
  /** Remove the directories (after the processes are gone). Never throws for ENOENT. */
  destroy(): void;
}

export interface CgroupOptions {
  id: string;
  cgroupsPath?: string;
  systemd?: boolean;
  rootless?: boolean;
}
