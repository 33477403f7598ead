// Reading a JSON input file the caller names (config.json, exec --process): it must be a
// regular file of sane size. /dev/zero, a fifo or a huge file would otherwise hang tsrun or
// grow it until the kernel kills it. One fd (no stat-then-open window), opened non-blocking
// so that a fifo cannot hang the open.
import * as fs from 'node:fs';
import { TsrunError, fsError } from './errors';

/** The most config.json may hold: real configs are kilobytes (a big seccomp profile ~100 KiB). */
export const CONFIG_MAX_BYTES = 16 << 20;

/** The file's text. Errors are TsrunErrors named "<what><file>: ...", except ENOENT from open, rethrown as is. */
export function readJsonFile(file: string, what: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    throw fsError(`${what}${file}`, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new TsrunError(`${what}${file}: not a regular file`);
    if (st.size > CONFIG_MAX_BYTES) throw new TsrunError(`${what}${file}: too large (${st.size} bytes, at most ${CONFIG_MAX_BYTES})`);
    // One byte more than fstat said: a file that grows meanwhile is refused, not cut short.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let len = 0;
    for (let n; len < buf.length && (n = fs.readSync(fd, buf, len, buf.length - len, null)) > 0; ) len += n;
    if (len > st.size) throw new TsrunError(`${what}${file}: changed while being read`);
    return buf.toString('utf8', 0, len);
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    throw fsError(`${what}${file}`, err);
  } finally {
    fs.closeSync(fd);
  }
}

