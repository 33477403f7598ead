// The state root: one 0700 dir per container (<root>/<id>) holding state.json, exec.fifo
// and, while a state-changing command runs, a lock file. mkdir of the container dir is the
// atomic "this id is taken" test; delete renames the dir away before removing it so no
// waiter can recreate anything inside a half-removed dir.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ROOT } from './options';
import { ErrorCode, TsrunError, fsError } from '../common/errors';
import type { ContainerRecord } from './record';
import { procStartTime } from '../linux/proc';

const STATE_FILE = 'state.json';
const FIFO = 'exec.fifo';
const LOCK = 'lock';
/** How long a state-changing command waits for another one on the same container. */
const LOCK_WAIT_MS = 60_000;

/** runc's id rule: letters, digits and "_+,-." (Go's [\w+-\.] includes the range +... ). */
const ID_RE = /^[A-Za-z0-9_+,\-.]+$/;

/** Per container, the tail of this process's queue for its lock: parallel withLock calls
 *  in one process take turns (the lock file alone would make them spin on each other).
 *  Not re-entrant: a nested withLock of the same container would wait for itself. */
const queues = new Map<string, Promise<void>>();

export class Store {
  readonly root: string;

  constructor(root: string = DEFAULT_ROOT) {
    this.root = path.resolve(root);
  }

  static validateId(id: string): void {
    if (typeof id !== 'string' || !ID_RE.test(id) || id === '.' || id === '..') {
      throw new TsrunError(`invalid container ID format: ${JSON.stringify(id)} (use letters, digits, "_", "+", ",", "-", "."; not "." or "..")`, { code: ErrorCode.Usage });
    }
  }

  dir(id: string): string {
    Store.validateId(id);
    return path.join(this.root, id);
  }

  fifoPath(id: string): string {
    return path.join(this.dir(id), FIFO);
  }

  statePath(id: string): string {
    return path.join(this.dir(id), STATE_FILE);
  }

  /** Whether a container dir exists for id (it may still be creating: no state.json yet). */
  exists(id: string): boolean {
    return fs.existsSync(this.dir(id));
  }

  /** Take the id: create <root> (0700) and <root>/<id> (0700); fail if it exists. */
  reserve(id: string): void {
    const dir = this.dir(id);
    try {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fsError(`create state root ${this.root}`, err);
    }
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError(`container with id exists: ${id}`, { code: ErrorCode.Exists });
      throw fsError(`create state dir ${dir}`, err);
    }
  }

  /** Write state.json atomically: temp file (0600), rename. No fsync: the state root is a
   *  tmpfs (/run) in normal use, and state does not outlive the host's containers anyway
   *  (runc does not sync either); rename is what keeps readers from a half-written file. */
  save(rec: ContainerRecord): void {
    const file = this.statePath(rec.id);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify(rec));
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (err) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* never written */
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notExist(rec.id);
      throw fsError(`write ${file}`, err);
    }
  }

  load(id: string): ContainerRecord {
    const file = this.statePath(id);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw notExist(id);
      throw fsError(`read ${file}`, err);
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch (err) {
      throw new TsrunError(`state of container "${id}" is corrupt (${file}): ${(err as Error).message}`);
    }
  }

  /** Remove the container dir. Missing is fine. */
  remove(id: string): void {
    const dir = this.dir(id);
    // Rename first: from here on the id is free and nothing can be created inside. The
    // tomb's name is short (an id may be 255 bytes long) and starts with "~", which no id
    // may hold, so it is never mistaken for a container.
    const tomb = path.join(this.root, `~deleted.${process.pid}.${Math.random().toString(36).slice(2)}`);
    try {
      fs.renameSync(dir, tomb);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw fsError(`remove state dir ${dir}`, err);
    }
    try {
      // Only tsrun's own files live here (state.json, exec.fifo, lock): unlink them one by
      // one; fs.rmSync({ recursive }) would load node's rimraf for every delete.
      for (const name of fs.readdirSync(tomb)) {
        const p = path.join(tomb, name);
        try {
          fs.unlinkSync(p);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EISDIR' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
          fs.rmSync(p, { recursive: true, force: true }); // not ours, but it goes with the dir
        }
      }
      fs.rmdirSync(tomb);
    } catch (err) {
      throw fsError(`remove state dir ${tomb}`, err);
    }
  }

  /** Ids of every container dir, sorted (dirs that are not valid ids, e.g. tombs, are skipped;
   *  an id may start with "."). */
  ids(): string[] {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(this.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fsError(`read state root ${this.root}`, err);
    }
    return names
      .filter((d) => d.isDirectory() && ID_RE.test(d.name) && d.name !== '.' && d.name !== '..')
      .map((d) => d.name)
      .sort();
  }

  /**
   * Run fn holding the container's lock. The lock is <dir>/lock created with O_EXCL,
   * holding "pid starttime token"; a lock whose holder is gone (crashed tsrun) is broken.
   * Breaking is serialized through a second O_EXCL file so two breakers can never remove
   * a lock that a third process has just taken.
   */
  async withLock<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
    const key = path.join(this.root, id);
    const before = queues.get(key);
    let done!: () => void;
    const tail = new Promise<void>((resolve) => (done = resolve));
    queues.set(key, before ? before.then(() => tail) : tail);
    const mine = queues.get(key);
    if (before) await before;
    try {
      const file = path.join(this.dir(id), LOCK);
      const token = await this.acquire(id, file);
      try {
        return await fn();
      } finally {
        releaseLock(file, token);
      }
    } finally {
      done();
      if (queues.get(key) === mine) queues.delete(key);
    }
  }

  private async acquire(id: string, file: string): Promise<string> {
    const token = `${process.pid} ${procStartTime(process.pid) ?? 0} ${Math.random().toString(36).slice(2)}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    let delay = 1;
    for (;;) {
      if (createExclusive(file, token, id)) return token;
      const holder = readLock(file);
      if (holder !== null && !holderAlive(holder)) {
        breakStale(file, holder);
        continue;
      }
      if (Date.now() > deadline) {
        const pid = holder?.split(' ')[0] ?? '?';
        throw new TsrunError(`container "${id}" is busy: tsrun pid ${pid} holds ${file}`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 50);
    }
  }
}

function notExist(id: string): TsrunError {
  return new TsrunError(`container "${id}" does not exist`, { code: ErrorCode.NotFound });
}

/**
 * Create file holding content, atomically: write a private temp file, then link() it into
 * place (EEXIST: taken). Nobody ever sees a half-written lock. ENOENT: the dir is gone.
 */
function createExclusive(file: string, content: string, id: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // open/write/close rather than writeFileSync: same effect, and node compiles no extra
    // JS helpers for it on a command's first write (~0.5 ms of start/delete here).
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notExist(id);
    throw fsError(`create lock ${file}`, err);
  }
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOENT') throw notExist(id);
    throw fsError(`create lock ${file}`, err);
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* the dir went away */
    }
  }
}

function readLock(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** A holder is alive while its pid runs with the same start time. */
function holderAlive(content: string): boolean {
  const [pid, start] = content.split(' ').map(Number);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = procStartTime(pid);
  return now !== null && (start === 0 || now === start);
}

function breakStale(file: string, stale: string): void {
  const breaker = `${file}.break`;
  const me = `${process.pid} ${procStartTime(process.pid) ?? 0} break`;
  let taken: boolean;
  try {
    taken = createExclusive(breaker, me, '');
  } catch {
    return;
  }
  if (!taken) {
    // Another breaker: if it died mid-break, clear its file (the lock is re-checked after).
    const other = readLock(breaker);
    if (other !== null && !holderAlive(other)) {
      try {
        fs.unlinkSync(breaker);
      } catch {
        /* someone else did */
      }
    }
    return;
  }
  try {
    // Under the breaker file nobody else unlinks the lock, so this re-check is exact.
    if (readLock(file) === stale) fs.unlinkSync(file);
  } catch {
    /* the lock changed hands or the dir went away: the caller retries */
  } finally {
    try {
      fs.unlinkSync(breaker);
    } catch {
      /* gone with the dir */
    }
  }
}

function releaseLock(file: string, token: string): void {
  // Only remove our own lock (a dir renamed away by delete takes it along).
  if (readLock(file) === token) {
    try {
      fs.unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
}
