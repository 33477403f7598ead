// `start`: release a created container's init, which is blocked opening exec.fifo for
// writing, then run the poststart hooks (warnings only, spec 1.2).
import * as fs from 'node:fs';
import * as net from 'node:net';
import { TsrunError, fsError } from './errors';
import { runHooks } from './hooks';
import type { GlobalOptions } from './options';
import type { ContainerRecord } from './record';
import { deriveStatus, initAlive, toState } from './status';
import { Store } from './store';
import { mark } from '../timing';

/** How long start waits for the init to write to the fifo once we opened it. */
const RELEASE_TIMEOUT_MS = 10_000;

export async function start(g: GlobalOptions, id: string): Promise<void> {
  const store = new Store(g.root);
  Store.validateId(id);
  await store.withLock(id, async () => {
    mark('locked');
    const rec = store.load(id);
    const status = deriveStatus(rec, store);
    if (status === 'stopped') throw new TsrunError('cannot start a container that has stopped');
    if (status === 'running') throw new TsrunError('cannot start an already running container');
    if (status !== 'created') throw new TsrunError(`cannot start a container in the ${status} state`);
    mark('status derived');
    await releaseInit(store, rec);
    mark('init released and exec\'d');
    rec.started = true;
    store.save(rec);
    mark('state saved');
    runHooks('poststart', rec.config.hooks?.poststart, toState(rec, 'running'), { warnOnly: true });
  });
}

/**
 * Release the init and learn how it went. The fifo is opened without blocking (the init may
 * have died since its status was derived) and read through libuv: the init writes "0" once
 * released, then only an error (a startContainer hook or execve failed); execve closes its
 * end (CLOEXEC), so EOF means the process runs. A timer checks the init is still alive.
 */
async function releaseInit(store: Store, rec: ContainerRecord): Promise<void> {
  const fifo = store.fifoPath(rec.id);
  let fd: number;
  try {
    fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(`open exec fifo ${fifo}`, err);
  }
  const sock = new net.Socket({ fd, readable: true, writable: false });
  let released = false;
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const deadline = Date.now() + RELEASE_TIMEOUT_MS;
      const timer = setInterval(() => {
        if (released) return;
        if (!initAlive(rec)) reject(new TsrunError(`container init (pid ${rec.pid}) exited before it could be started`));
        else if (Date.now() > deadline) reject(new TsrunError(`timed out waiting for container init (pid ${rec.pid}) to open ${fifo}`));
      }, 50);
      sock.on('data', (d: Buffer) => {
        released = true;
        chunks.push(d);
      });
      sock.on('end', () => resolve(Buffer.concat(chunks).toString()));
      sock.on('error', (err) => reject(fsError(`read exec fifo ${fifo}`, err)));
      sock.on('close', () => clearInterval(timer));
    });
    if (!text.startsWith('0')) throw new TsrunError(`container init (pid ${rec.pid}) closed ${fifo} without starting`);
    const error = text.slice(1).trim();
    if (error) throw new TsrunError(error);
  } finally {
    sock.destroy();
    // Once released the fifo has done its job (and its absence marks the init as started).
    if (released) try {
      fs.unlinkSync(fifo);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(`remove exec fifo ${fifo}`, err);
    }
  }
}
