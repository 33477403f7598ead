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
    await releaseInit(store, rec);
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
 * Read with blocking reads in libuv's thread pool rather than a net.Socket: loading
 * node's net and stream modules cost ~5 ms of every start. A blocked read must always
 * end (node joins the pool's threads at exit), so tsrun holds a write end of its own
 * until the init has written: EOF cannot come before the init opened the fifo, and if
 * the init dies first (a timer checks), closing that end delivers EOF.
 */
async function releaseInit(store: Store, rec: ContainerRecord): Promise<void> {
  const fifo = store.fifoPath(rec.id);
  const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
  let reader = -1;
  let writer = -1;
  let released = false;
  try {
    // Opening a reader releases the init's open(); the blocking-mode reader below can
    // only be opened without waiting once a writer (ours) exists.
    const first = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
    try {
      writer = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
      reader = fs.openSync(fifo, O_RDONLY);
    } finally {
      fs.closeSync(first);
    }
  } catch (err) {
    if (writer >= 0) fs.closeSync(writer);
    throw fsError(`open exec fifo ${fifo}`, err);
  }
  const dropWriter = () => {
    if (writer >= 0) fs.closeSync(writer);
    writer = -1;
  };
  // Should the process exit while a read is pending (an error elsewhere in `run`), our
  // write end must not keep that read, which node joins at exit, blocked.
  process.once('exit', dropWriter);
  let failure: TsrunError | undefined;
  const deadline = Date.now() + RELEASE_TIMEOUT_MS;
  const timer = setInterval(() => {
    if (released) return;
    if (!initAlive(rec)) failure = new TsrunError(`container init (pid ${rec.pid}) exited before it could be started`);
    else if (Date.now() > deadline) failure = new TsrunError(`timed out waiting for container init (pid ${rec.pid}) to open ${fifo}`);
    if (failure) dropWriter();
  }, 50);
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = await readChunk(reader, fifo);
      if (!chunk) break;
      chunks.push(chunk);
      if (!released) {
        released = true;
        dropWriter(); // the init holds its own write end until execve
      }
    }
    if (failure && !released) throw failure;
    const text = Buffer.concat(chunks).toString();
    if (!text.startsWith('0')) throw new TsrunError(`container init (pid ${rec.pid}) closed ${fifo} without starting`);
    const error = text.slice(1).trim();
    if (error) throw new TsrunError(error);
  } finally {
    clearInterval(timer);
    process.off('exit', dropWriter);
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

/** One blocking read in the thread pool: the bytes, or null at EOF. */
function readChunk(fd: number, fifo: string): Promise<Buffer | null> {
  const buf = Buffer.allocUnsafe(4096);
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, buf.length, null, (err, n) => {
      if (err) reject(fsError(`read exec fifo ${fifo}`, err));
      else resolve(n > 0 ? buf.subarray(0, n) : null);
    });
  });
}
