// `delete`: free everything a container holds: its processes, cgroups and state dir, then
// run the poststop hooks. As the runtime-spec says (and runtime-tools' delete test checks),
// only a stopped container is deleted without --force. runc 1.1.5 also deletes a created one;
// callers that rely on that pass --force (containerd does for never-started tasks).
import { killAll, openCgroup } from '../linux/cgroups';
import { TsrunError } from '../common/errors';
import { hookLog, runHooks } from './hooks';
import { requireStatus } from './lifecycle';
import { HOOKS } from '../oci/hooks';
import type { RuntimeOptions } from './options';
import type { ContainerRecord } from './record';
import { initAlive } from '../linux/proc';
import { deriveStatus, toState } from './status';
import { Store } from './store';
import { mark } from '../common/timing';

/** How long delete waits for SIGKILLed processes to disappear. */
const GONE_TIMEOUT_MS = 10_000;

export async function deleteContainer(g: RuntimeOptions, id: string, force = false): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  if (!store.exists(id)) {
    if (force) return;
    throw new TsrunError(`container "${id}" does not exist`);
  }
  try {
    await store.withLock(id, () => destroy(g, store, id, force));
  } catch (err) {
    // A concurrent delete won the race: with --force that is success.
    if (force && !store.exists(id)) return;
    throw err;
  }
}

async function destroy(g: RuntimeOptions, store: Store, id: string, force: boolean): Promise<void> {
  let rec: ContainerRecord;
  try {
    rec = store.load(id);
  } catch (err) {
    // A dir without state.json: a create that crashed before saving, or one still running
    // (it holds no lock then). Only --force clears it, and only the dir.
    if (!force || store.exists(id) === false) throw err;
    store.remove(id);
    return;
  }
  mark('locked, state loaded');
  const status = deriveStatus(rec, store);
  mark('status derived');
  if (!force) requireStatus('delete', status, id);
  const mgr = rec.cgroup ? openCgroup(rec.cgroup) : null;
  if (status !== 'stopped') {
    if (mgr) killAll(mgr, 'SIGKILL');
    if (rec.pid > 0) signal(rec.pid, 'SIGKILL');
  }
  await waitUntil(() => !initAlive(rec), `container init (pid ${rec.pid}) did not exit after SIGKILL`);
  mark('init gone');
  if (mgr) {
    // Without a private pid namespace the init's children outlive it: the cgroup holds them.
    if (mgr.pids().length) {
      killAll(mgr, 'SIGKILL');
      await waitUntil(() => mgr.pids().length === 0, `processes of container ${id} did not exit after SIGKILL`);
    }
    mgr.destroy();
  }
  mark('cgroups removed');
  // A provisional record (create killed before the init existed) never had a container.
  if (rec.pid > 0) runHooks('poststop', rec.config.hooks?.poststop, toState(rec, HOOKS.poststop.status), hookLog(g));
  store.remove(id);
  mark('state dir removed');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

async function waitUntil(done: () => boolean, failure: string): Promise<void> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  let delay = 1;
  while (!done()) {
    if (Date.now() > deadline) throw new TsrunError(failure);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 20);
  }
}
