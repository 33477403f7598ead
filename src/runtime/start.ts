// `start`: release a created container's init, which is blocked opening exec.fifo for
// writing, then run the poststart hooks (warnings only, spec 1.2).
import * as fs from 'node:fs';
import { TsrunError, fsError } from '../common/errors';
import { HOOKS } from '../oci/hooks';
import { hookLog, runHooks } from './hooks';
import { requireStatus } from './lifecycle';
import type { RuntimeOptions } from './options';
import type { ContainerRecord } from './record';
import { initAlive } from '../linux/proc';
import { deriveStatus, toState } from './status';
import { Store } from './store';
import { mark } from '../common/timing';

/** How long start waits for the init to write to the fifo once we opened it. */
const RELEASE_TIMEOUT_MS = 10_000;

export async function start(g: RuntimeOptions, id: string): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, async () => {
    mark('locked');
    const rec = store.load(id);
    const status = deriveStatus(rec, store);
    requireStatus('start', status, id);
    mark('status derived');
    g.logger?.debug?.(`start ${id}: releasing init pid ${rec.pid} (status ${status})`);
    releaseInit(store, rec);
    mark('init released and exec\'d');
    g.logger?.debug?.(`start ${id}: the container process runs`);
    runHooks('poststart', rec.config.hooks?.poststart, toState(rec, HOOKS.poststart.status), hookLog(g));
  });
}

/**
 * Release the init and learn how it went. The init is blocked opening exec.fifo for
 * writing; once released it writes "0", then only an error (a startContainer hook or
 * execve failed); execve closes its end (CLOEXEC), so EOF means the process runs.
 *
 * Read without blocking, polled on this thread with short naps: an asynchronous read
 * makes the runtime start its thread pool (~2 ms and a malloc arena per start; node's net
 * and stream modules cost ~5 ms). tsrun holds a write end of its own until the init has
 * written, so EOF cannot come before the init opened the fifo; if the init dies first
 * (checked every 50 ms), that end is dropped and EOF comes.
 */
function releaseInit(store: Store, rec: ContainerRecord): void {
  const fifo = store.fifoPath(rec.id);
  const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
  let reader = -1;
  let writer = -1;
  try {
    // Opening a reader releases the init's open(); our writer keeps EOF away until it wrote.
    reader = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
    writer = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
  } catch (err) {
    if (reader >= 0) fs.closeSync(reader);
    throw fsError(`open exec fifo ${fifo}`, err);
  }
  const dropWriter = () => {
    if (writer >= 0) fs.closeSync(writer);
    writer = -1;
  };
  let released = false;
  let failure: TsrunError | undefined;
  const deadline = Date.now() + RELEASE_TIMEOUT_MS;
  let checked = Date.now();
  let nap = 0.05;
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.allocUnsafe(4096);
    for (;;) {
      let n = -1;
      try {
        n = fs.readSync(reader, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw fsError(`read exec fifo ${fifo}`, err);
      }
      if (n === 0) break;
      if (n > 0) {
        chunks.push(Buffer.from(buf.subarray(0, n)));
        if (!released) {
          released = true;
          dropWriter(); // the init holds its own write end until execve
        }
        nap = 0.05;
        continue;
      }
      if (!released && !failure && Date.now() - checked >= 50) {
        checked = Date.now();
        if (!initAlive(rec)) failure = new TsrunError(`container init (pid ${rec.pid}) exited before it could be started`);
        else if (checked > deadline) failure = new TsrunError(`timed out waiting for container init (pid ${rec.pid}) to open ${fifo}`);
        if (failure) dropWriter();
      }
      Atomics.wait(napCell, 0, 0, nap);
      nap = Math.min(nap * 2, 5);
    }
    if (failure && !released) throw failure;
    const text = Buffer.concat(chunks).toString();
    if (!text.startsWith('0')) throw new TsrunError(`container init (pid ${rec.pid}) closed ${fifo} without starting`);
    const error = text.slice(1).trim();
    if (error) throw new TsrunError(error);
  } finally {
    dropWriter();
    fs.closeSync(reader);
    // Once released the fifo has done its job (and its absence marks the init as started).
    if (released) try {
      fs.unlinkSync(fifo);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(`remove exec fifo ${fifo}`, err);
    }
  }
}

const napCell = new Int32Array(new SharedArrayBuffer(4));
