// OOM notifications for `events`, the kernel's way per cgroup version: on v1 an eventfd
// registered on memory.oom_control through cgroup.event_control (the kernel signals it on
// each OOM of the cgroup, and once more when the cgroup is removed); on v2 the oom_kill
// counter of memory.events. Both are read without blocking, so a caller polls take() on
// its own timer and nothing ever sits in a blocking read (node joins its pool threads at
// exit: a read blocked there would keep `events` from exiting).
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, fsError } from '../../common/errors';
import { loadNative } from '../../native/shim';

export interface OomWatch {
  /** OOM events since the last call; 0 when none (never blocks). */
  take(): number;
  /** The cgroup has been removed (the container was deleted). */
  gone(): boolean;
  close(): void;
}

export function oomWatchV1(memDir: string): OomWatch {
  const native = loadNative();
  const efd = native.eventfd();
  let ofd: number;
  try {
    ofd = fs.openSync(path.join(memDir, 'memory.oom_control'), 'r');
  } catch (e) {
    fs.closeSync(efd);
    throw fsError(`oom notification: open ${memDir}/memory.oom_control`, e);
  }
  try {
    const cfd = fs.openSync(path.join(memDir, 'cgroup.event_control'), 'w');
    try {
      fs.writeSync(cfd, `${efd} ${ofd}`);
    } finally {
      fs.closeSync(cfd);
    }
  } catch (e) {
    fs.closeSync(efd);
    fs.closeSync(ofd);
    throw fsError(`oom notification: register on ${memDir}/cgroup.event_control`, e);
  }
  const gone = () => !fs.existsSync(path.join(memDir, 'cgroup.event_control'));
  const buf = Buffer.alloc(8);
  return {
    take() {
      let n = 0;
      try {
        if (fs.readSync(efd, buf, 0, 8, null) === 8) n = Number(buf.readBigUInt64LE());
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw new TsrunError(`oom notification: read eventfd: ${(e as NodeJS.ErrnoException).code}`);
      }
      // The removal of the cgroup signals the eventfd too: that is no OOM.
      return n && gone() ? 0 : n;
    },
    gone,
    close() {
      fs.closeSync(efd);
      fs.closeSync(ofd);
    },
  };
}

export function oomWatchV2(dir: string): OomWatch {
  const file = path.join(dir, 'memory.events');
  const count = (): number | null => {
    try {
      const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(file, 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return null;
    }
  };
  let last = count() ?? 0;
  return {
    take() {
      const now = count();
      if (now === null || now <= last) return 0;
      const n = now - last;
      last = now;
      return n;
    },
    // The cgroup, not memory.events: without the memory controller there is no such file.
    gone: () => !fs.existsSync(path.join(dir, 'cgroup.procs')),
    close() {},
  };
}
