// What tsrun persists per container in <root>/<id>/state.json. The OCI `State` that users
// see is derived from it (status is never trusted from disk: see status.ts).
import type { Spec } from '../oci/types';
import type { CgroupRef } from '../linux/cgroups';
import { userName } from '../linux/passwd';
import { procStartTime } from '../linux/proc';

export interface ContainerRecord {
  /** Format version of this file; bump on incompatible change. */
  version: 1;
  id: string;
  /** Absolute bundle path. */
  bundle: string;
  /** Absolute rootfs path (resolved against the bundle). */
  rootfs: string;
  /** Host pid of the container init (0 while creating). */
  pid: number;
  /** Field 22 (starttime) of /proc/<pid>/stat, so a reused pid is not mistaken for our init. */
  pidStartTime: number;
  /** RFC 3339 creation time (shown by `list`). */
  created: string;
  /** The validated config the container was created from (hooks, annotations, namespaces...). */
  config: Spec;
  /** Where the container's cgroups are, as the cgroups module resolved them. */
  cgroup: CgroupRef | null;
  /** User that created it (for `list`'s OWNER column). */
  owner: string;
  /** Only in the provisional record create writes before it makes cgroups (pid is 0 then):
   *  the creating tsrun, so that a create killed midway is told from one still running. */
  creator?: { pid: number; startTime: number };
}

/**
 * The record create and restore write: pid 0 while the container is being made. A
 * provisional one names the creating tsrun (see `creator`).
 */
export function newRecord(
  c: { id: string; bundle: string; rootfs: string; config: Spec; cgroup: CgroupRef | null },
  pid: number,
  provisional: boolean,
): ContainerRecord {
  const rec: ContainerRecord = {
    version: 1,
    id: c.id,
    bundle: c.bundle,
    rootfs: c.rootfs,
    pid,
    pidStartTime: pid ? (procStartTime(pid) ?? 0) : 0,
    created: new Date().toISOString(),
    config: c.config,
    cgroup: c.cgroup,
    owner: userName(process.geteuid?.() ?? 0),
  };
  if (provisional) rec.creator = { pid: process.pid, startTime: procStartTime(process.pid) ?? 0 };
  return rec;
}
