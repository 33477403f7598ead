// `tsrun pause <id>` / `tsrun resume <id>`: freeze and thaw the container's cgroup.
// Small enough to live here; move into runtime/ if a library caller needs it.
import { openCgroup, type CgroupManager } from '../linux/cgroups';
import { TsrunError } from '../common/errors';
import type { GlobalOptions } from '../runtime/options';
import { deriveStatus } from '../runtime/status';
import { Store } from '../runtime/store';
import type { Parsed } from './commands';
import { requireStatus } from '../runtime/lifecycle';
import type { Status } from '../oci/types';

async function withContainer(g: GlobalOptions, id: string, fn: (status: string, mgr: CgroupManager) => void): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, () => {
    const rec = store.load(id);
    if (!rec.cgroup) throw new TsrunError(`container ${id} has no cgroup to freeze`);
    fn(deriveStatus(rec, store), openCgroup(rec.cgroup));
  });
}

export async function pause(g: GlobalOptions, p: Parsed): Promise<number> {
  await withContainer(g, p.args[0], (status, mgr) => {
    requireStatus('pause', status as Status, p.args[0]);
    mgr.freeze();
  });
  return 0;
}

export async function resume(g: GlobalOptions, p: Parsed): Promise<number> {
  await withContainer(g, p.args[0], (status, mgr) => {
    requireStatus('resume', status as Status, p.args[0]);
    mgr.thaw();
  });
  return 0;
}
