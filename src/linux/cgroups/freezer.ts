// Whether a container's own cgroup is frozen, from what state.json recorded: the one check
// every status read makes (runtime/status.ts), kept apart from index.ts so that `state`,
// `list` and `start` do not load the managers, systemd and the eBPF device code for it.
// The v1 and v2 managers answer isFrozen() with this too.
import { readCgIfExists } from './fsutil';
import type { CgroupRef } from './types';

export function cgroupFrozen(ref: CgroupRef): boolean {
  if (ref.mode === 'v2') return !!ref.dirs.unified && readCgIfExists(ref.dirs.unified, 'cgroup.freeze') === '1';
  const d = ref.dirs.freezer;
  return !!d && readCgIfExists(d, 'freezer.state') === 'FROZEN';
}
