// `kill`: signal the init, or with --all every process in the container's cgroup. No lock:
// signalling is idempotent, and kill must not wait behind a slow delete.
import { killAll, openCgroup } from '../linux/cgroups';
import { ErrorCode, TsrunError } from '../common/errors';
import type { RuntimeOptions } from './options';
import { allowed, requireStatus } from './lifecycle';
import { deriveStatus } from './status';
import { Store } from './store';

export async function kill(g: RuntimeOptions, id: string, signal: number, all: boolean): Promise<void> {
  const store = new Store(g.root);
  const rec = store.load(id);
  const status = deriveStatus(rec, store);
  if (all && rec.cgroup) {
    const mgr = openCgroup(rec.cgroup);
    // A stopped init may leave processes behind (no private pid namespace): still signal them.
    if (!allowed('kill', status) && mgr.pids().length === 0) requireStatus('kill', status, id);
    killAll(mgr, signal);
    return;
  }
  requireStatus('kill', status, id);
  try {
    process.kill(rec.pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new TsrunError('container not running', { code: ErrorCode.BadStatus });
    if (code === 'EINVAL') throw new TsrunError(`unable to signal init: invalid argument (signal ${signal})`);
    throw new TsrunError(`unable to signal init (pid ${rec.pid}): ${code ?? String(err)}`);
  }
}
