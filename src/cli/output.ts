// Synchronous writes to stdout/stderr that survive a non-blocking pipe (EAGAIN) and a
// reader that went away (EPIPE), so process.exit() right after never loses output.
import * as fs from 'node:fs';

export function write(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  let spins = 0;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && spins++ < 10_000) {
        Atomics.wait(tick, 0, 0, 1);
        continue;
      }
      return; // EPIPE or worse: nobody is reading
    }
  }
}
