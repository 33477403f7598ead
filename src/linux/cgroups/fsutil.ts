// Small synchronous cgroupfs helpers. Every failure becomes a one-line TsrunError that
// names the file, the value and the errno.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, fsError } from '../../common/errors';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * One write(2) of `value` to an existing cgroup file. No O_CREAT/O_TRUNC: cgroupfs
 * files cannot be created, and many are write-only; each write is parsed by the kernel
 * as one record (devices.allow, io.max, ifpriomap take one entry per write).
 */
export function writeCg(dir: string, file: string, value: string, ctrl: string): void {
  const p = path.join(dir, file);
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_WRONLY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TsrunError(`cgroup ${ctrl}: ${p}: not supported on this host (ENOENT) while setting "${value}"`);
    }
    throw fsError(`cgroup ${ctrl}: open ${p}`, e);
  }
  try {
    fs.writeSync(fd, value);
  } catch (e) {
    throw fsError(`cgroup ${ctrl}: write "${value}" to ${p}`, e);
  } finally {
    fs.closeSync(fd);
  }
}

export function readCg(dir: string, file: string): string {
  const p = path.join(dir, file);
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch (e) {
    throw fsError(`cgroup: read ${p}`, e);
  }
}

/** The trimmed content, or null when the file does not exist (one syscall, not two:
 *  `list` asks every container's freezer). */
export function readCgIfExists(dir: string, file: string): string | null {
  const p = path.join(dir, file);
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError(`cgroup: read ${p}`, e);
  }
}

export function hasFile(dir: string, file: string): boolean {
  return fs.existsSync(path.join(dir, file));
}

/** Every pid listed in cgroup.procs of dir and its descendants. Missing dir: []. */
export function procsRecursive(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    let text: string;
    try {
      text = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8');
    } catch (e) {
      // ENODEV: a cgroup being removed (systemd stopping a scope) holds no processes either.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENODEV') return;
      throw fsError(`cgroup: read ${path.join(d, 'cgroup.procs')}`, e);
    }
    for (const l of text.split('\n')) if (l) out.push(Number(l));
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      // Removed since its cgroup.procs was read (systemd collects an emptied scope).
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENODEV') return;
      throw fsError(`cgroup: read dir ${d}`, e);
    }
    for (const ent of ents) if (ent.isDirectory()) walk(path.join(d, ent.name));
  };
  walk(dir);
  return [...new Set(out)];
}

/**
 * rmdir dir and any sub-cgroups, leaves first. EBUSY is retried briefly (a killed task
 * can linger in cgroup.procs for a few ms); ENOENT is success.
 */
export function removeTree(dir: string): void {
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError(`cgroup: read dir ${dir}`, e);
  }
  for (const ent of ents) if (ent.isDirectory()) removeTree(path.join(dir, ent.name));
  let delay = 10;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 6) throw fsError(`cgroup: remove ${dir}`, e);
      sleepMs(delay);
      delay *= 2;
    }
  }
}
