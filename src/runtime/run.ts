// `run`: create + start, and in the foreground wait for the init, forwarding signals to it,
// then delete the container (unless --keep) and return the exit code the shell would see.
import { exitCodeOf, loadNative } from '../native/shim';
import { create } from './create';
import { deleteContainer } from './delete';
import type { GlobalOptions, RunOptions } from './options';
import { start } from './start';
import { Store } from './store';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function run(g: GlobalOptions, o: RunOptions): Promise<number> {
  await create(g, o);
  if (o.detach) {
    await start(g, o.id);
    return 0;
  }
  const pid = new Store(g.root).load(o.id).pid;
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* the init is gone */
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  // The init is our child (stage 1 cloned it with CLONE_PARENT): wait for it off-thread.
  const exited = loadNative().waitAsync(pid);
  try {
    await start(g, o.id);
    return exitCodeOf(await exited);
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
    if (!o.keep) await deleteContainer(g, o.id, true);
  }
}
