// `run`: create + start, and in the foreground wait for the init, forwarding signals to it,
// then delete the container (unless --keep) and return the exit code the shell would see.
// In the foreground tsrun is, as runc, the child subreaper (unless --no-subreaper): the
// orphans of the container's processes (where it has no pid namespace of its own, or
// joins another's) are re-parented to it, and it reaps them while the init runs.
import * as path from 'node:path';
import { readJsonFile } from '../common/read-input';
import { exitCodeOf, loadNative, type Native } from '../native/shim';
import { create } from './create';
import { deleteContainer } from './delete';
import type { RuntimeOptions, RunOptions } from './options';
import { start } from './start';
import { Store } from './store';
import { ErrorCode, TsrunError } from '../common/errors';
import { ConsoleReceiver, proxyTerminal } from './tty-proxy';
import { noop } from './process-io';

/** process.terminal of the bundle's config (validation happens in create). */
function wantsTerminal(bundle: string): boolean {
  try {
    return JSON.parse(readJsonFile(path.join(bundle, 'config.json'), ''))?.process?.terminal === true;
  } catch {
    return false; // create reports the real problem
  }
}


/** How often a foreground run reaps the orphans re-parented to it. */
const REAP_MS = 100;

function reapQuietly(native: Native, keep: number): void {
  try {
    native.reapOthers(keep);
  } catch {
    // Only ECHILD-like races are possible; the next turn looks again.
  }
}

export async function run(g: RuntimeOptions, o: RunOptions): Promise<number> {
  // A terminal without --console-socket: tsrun holds the pty itself (foreground only).
  let receiver: ConsoleReceiver | undefined;
  if (!o.consoleSocket && wantsTerminal(o.bundle)) {
    if (o.detach) throw new TsrunError('cannot allocate a terminal for a detached container without --console-socket');
    if (!o.io?.terminal) throw new TsrunError('process.terminal is true: a console socket or the caller\'s terminal streams (io.terminal) are required', { code: ErrorCode.Usage });
    receiver = new ConsoleReceiver(loadNative());
  }
  try {
    await create(g, receiver ? { ...o, consoleSocket: receiver.socketPath } : o);
  } catch (err) {
    receiver?.close();
    throw err;
  }
  if (o.detach) {
    await start(g, o.id);
    return 0;
  }
  const tty = receiver ? proxyTerminal(loadNative(), receiver.receive(), o.io!.terminal!()) : undefined;
  const pid = new Store(g.root).load(o.id).pid;
  const stopForwarding = o.io?.forwardSignals?.(pid) ?? noop;
  const native = loadNative();
  // The init is our child (stage 1 cloned it with CLONE_PARENT): wait for it off-thread.
  const exited = native.waitAsync(pid);
  let reaper: ReturnType<typeof setInterval> | undefined;
  try {
    // Before the init runs the user's process, so none of its orphans slips past. Reaping
    // starts once start's hooks (children tsrun waits for itself) are done.
    if (!o.noSubreaper) native.setSubreaper();
    await start(g, o.id);
    if (!o.noSubreaper) reaper = setInterval(() => reapQuietly(native, pid), REAP_MS);
    const status = await exited;
    // Let the last output through: the master reports EOF/EIO once the slave side is gone.
    if (tty) await Promise.race([tty.done, new Promise((r) => setTimeout(r, 1000))]);
    return exitCodeOf(status);
  } finally {
    if (reaper) {
      clearInterval(reaper);
      reapQuietly(native, pid);
    }
    tty?.stop();
    stopForwarding();
    if (!o.keep) await deleteContainer(g, o.id, true);
  }
}
