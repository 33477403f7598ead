// tsrun's log: what --log / --log-format / --debug configure. Lines go to the --log file
// (opened on first use, appended) or to stderr. JSON lines carry runc's fields
// {"level","msg","time"} because callers (containerd, podman) parse them; text lines in a
// file (and --debug lines anywhere) use runc's logrus layout, and on stderr a plain
// "tsrun: ..." line for people.
import * as fs from 'node:fs';

export type LogFormat = 'text' | 'json';
type Level = 'error' | 'warning' | 'info' | 'debug';

interface LogConfig {
  file?: string;
  format: LogFormat;
  debug: boolean;
}

let config: LogConfig = { format: 'text', debug: false };
let fd: number | null = null;

/** Set by main.ts from the global flags; before that, text to stderr. */
export function configureLog(c: LogConfig): void {
  config = { ...c };
  if (fd !== null && fd !== 2) fs.closeSync(fd);
  fd = null;
}

/** True when log lines go to a file rather than stderr. */
export function logsToFile(): boolean {
  return !!config.file && config.file !== '/dev/stderr';
}

export function debugEnabled(): boolean {
  return config.debug;
}

export function logError(msg: string): void {
  write('error', msg);
}
export function logWarn(msg: string): void {
  write('warning', msg);
}
export function logInfo(msg: string): void {
  write('info', msg);
}
export function logDebug(msg: string): void {
  if (config.debug) write('debug', msg);
}

/** runc's timestamps: RFC 3339, seconds precision, UTC. */
function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function formatLine(level: Level, msg: string, format: LogFormat, toFile: boolean, time = now()): string {
  if (format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  // runc's logrus layout in a file, and for --debug lines on stderr too (runc prints them so).
  if (toFile || level === 'debug') return `time=${JSON.stringify(time)} level=${level} msg=${JSON.stringify(msg)}\n`;
  return level === 'error' ? `tsrun: ${msg}\n` : `tsrun: ${level}: ${msg}\n`;
}

function write(level: Level, msg: string): void {
  const toFile = logsToFile();
  const line = formatLine(level, msg, config.format, toFile);
  try {
    // Opened append-only, following symlinks as runc does: callers pass /dev/stderr,
    // /proc/self/fd/N or a file in their own directory, and the path is theirs to choose
    // (SECURITY.md: the command line is trusted; the pid file is the one path tsrun
    // writes with a temp name, and that one is created O_EXCL|O_NOFOLLOW).
    if (fd === null) fd = toFile ? fs.openSync(config.file!, 'a', 0o644) : 2;
    fs.writeSync(fd, line);
  } catch {
    // The log is unusable (bad path, full disk): stderr is all that is left.
    try {
      fs.writeSync(2, formatLine(level, msg, 'text', false));
    } catch {
      /* nowhere to write */
    }
  }
}
