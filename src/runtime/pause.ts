// `pause` / `resume`: freeze and thaw the container's cgroup (the freezer is what makes a
// container "paused": status.ts reads it back).
import { openCgroup, type CgroupManager } from '../linux/cgroups';
import { TsrunError } from '../common/errors';
import { requireStatus } from './lifecycle';
import type { RuntimeOptions } from './options';
import { deriveStatus } from './status';
import { Store } from './store';
import type { Status } from '../oci/types';

async function withContainer(g: RuntimeOptions, id: string, fn: (status: Status, mgr: CgroupManager) => void): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, () => {
    const rec = store.load(id);
    if (!rec.cgroup) throw new TsrunError(`container ${id} has no cgroup to freeze`);
    fn(deriveStatus(rec, store), openCgroup(rec.cgroup));
  });
}

export async function pause(g: RuntimeOptions, id: string): Promise<void> {
  await withContainer(g, id, (status, mgr) => {
    requireStatus('pause', status, id);
    mgr.freeze();
  });
}

export async function resume(g: RuntimeOptions, id: string): Promise<void> {
  await withContainer(g, id, (status, mgr) => {
    requireStatus('resume', status, id);
    mgr.thaw();
  });
}
