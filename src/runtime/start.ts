// `start`: release a created container's init, which is blocked opening exec.fifo for
// writing, then run the poststart hooks (warnings only, spec 1.2).
import * as fs from 'node:fs';
import { TsrunError, fsError } from './errors';
import { runHooks } from './hooks';
import type { GlobalOptions } from './options';
import type { ContainerRecord } from './record';
import { deriveStatus, initAlive, toState } from './status';
import { Store } from './store';

/** How long start waits for the init to write to the fifo once we opened it. */
const RELEASE_TIMEOUT_MS = 10_000;

export async function start(g: GlobalOptions, id: string): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, () => {
    const rec = store.load(id);
    const status = deriveStatus(rec, store);
    if (status === 'stopped') throw new TsrunError('cannot start a container that has stopped');
    if (status === 'running') throw new TsrunError('cannot start an already running container');
    if (status !== 'created') throw new TsrunError(`cannot start a container in the ${status} state`);
    releaseInit(store, rec);
    rec.started = true;
    store.save(rec);
    runHooks('poststart', rec.config.hooks?.poststart, toState(rec, 'running'), { warnOnly: true });
  });
}

/**
 * Open the fifo without blocking (a plain open would hang forever if the init died after
 * we checked), then wait for the init's byte while checking that it is still alive.
 */
function releaseInit(store: Store, rec: ContainerRecord): void {
  const fifo = store.fifoPath(rec.id);
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(`open exec fifo ${fifo}`, err);
  }
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + RELEASE_TIMEOUT_MS;
    const tick = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, buf, 0, 1, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw fsError(`read exec fifo ${fifo}`, err);
      }
      if (n > 0) break;
      if (!initAlive(rec)) throw new TsrunError(`container init (pid ${rec.pid}) exited before it could be started`);
      if (Date.now() > deadline) throw new TsrunError(`timed out waiting for container init (pid ${rec.pid}) to open ${fifo}`);
      Atomics.wait(tick, 0, 0, 1);
    }
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.unlinkSync(fifo);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(`remove exec fifo ${fifo}`, err);
  }
}
