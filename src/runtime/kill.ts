// `kill`: signal the init, or with --all every process in the container's cgroup. No lock:
// signalling is idempotent, and kill must not wait behind a slow delete.
import { ErrorCode, TsrunError } from '../common/errors';
import type { RuntimeOptions } from './options';
import { allowed, requireStatus } from './lifecycle';
import { parseSignal } from '../linux/signals';
import { deriveStatus } from './status';
import { Store } from './store';

/** Send `signal` (a number or a name: 'TERM', 'SIGKILL', '9') to the init, or with `all` to every process of the container. */
export async function kill(g: RuntimeOptions, id: string, sig: number | string = 'SIGTERM', all = false): Promise<void> {
  const signal = typeof sig === 'string' ? parseSignal(sig) : sig;
  const store = new Store(g.root);
  const rec = store.load(id);
  const status = deriveStatus(rec, store);
  g.logger?.debug?.(`kill ${id}: signal ${signal}${all ? ' to every process in the cgroup' : ` to init pid ${rec.pid}`} (status ${status})`);
  if (all && rec.cgroup) {
    // Whatever is in the cgroup gets the signal, whatever the init's state (a stopped init
    // may leave processes behind without a private pid namespace). As runc 1.1.5: an empty
    // or removed cgroup of a stopped container is success, not "not running".
    // Loaded here only: a plain kill needs none of the cgroup managers.
    const { killAll, openCgroup } = await import('../linux/cgroups');
    killAll(openCgroup(rec.cgroup), signal);
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
