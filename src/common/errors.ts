// The one error type the library throws. `message` is a complete, user-facing line:
// what failed, on which object, and the errno name where a syscall failed (callers parse
// some of these lines, so their wording does not change). For programs the same facts
// come typed: `code` (what kind of failure), `pointer` (the JSON pointer into config.json
// or process.json) and `errno` (the errno name).

/** What kind of failure a TsrunError is. */
export const ErrorCode = {
  /** config.json (or an exec process) is invalid or asks for something tsrun cannot do. */
  Config: 'config',
  /** No container with that id. */
  NotFound: 'not-found',
  /** A container with that id exists already. */
  Exists: 'exists',
  /** The operation is not allowed in the container's current status (runtime/lifecycle.ts). */
  BadStatus: 'bad-status',
  /** An argument to the API (or a command-line flag) is invalid: id format, console socket... */
  Usage: 'usage',
  /** A hook failed or timed out. */
  Hook: 'hook',
  /** A system call or file operation failed; `errno` names the error. */
  Syscall: 'syscall',
  /** Waited too long for the container or a lock. */
  Timeout: 'timeout',
  /** Anything else. */
  Failed: 'failed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorDetails {
  code?: ErrorCode;
  /** JSON pointer into the config, e.g. "/process/rlimits/0/type". */
  pointer?: string;
  /** errno name, e.g. "EPERM". */
  errno?: string;
  /** Process exit code for the CLI (default 1). */
  exitCode?: number;
}

// Messages follow two rules, so code, pointer and errno can be read from a line built
// anywhere (including the shim, whose errors arrive as text): config errors start with
// "<file>.json: <pointer>: ", syscall errors carry "<ERRNO> (<strerror>)".
const CONFIG_LINE = /^[\w.-]+\.json(?::\d+:\d+)?: (?:(\/[^:\s]*|): )?/;
const ERRNO = /\b(E[A-Z0-9]{2,}) \(/;

export class TsrunError extends Error {
  /** Process exit code the CLI uses for this error (runc exits 1 for almost everything). */
  readonly exitCode: number;
  readonly code: ErrorCode;
  readonly pointer?: string;
  readonly errno?: string;

  constructor(message: string, details: ErrorDetails | number = {}) {
    super(message);
    const d = typeof details === 'number' ? { exitCode: details } : details;
    this.name = 'TsrunError';
    this.exitCode = d.exitCode ?? 1;
    const config = d.code === undefined || d.code === ErrorCode.Config ? CONFIG_LINE.exec(message) : null;
    const errno = d.errno ?? (d.code === undefined || d.code === ErrorCode.Syscall ? ERRNO.exec(message)?.[1] : undefined);
    if (errno) this.errno = errno;
    const pointer = d.pointer ?? config?.[1];
    if (pointer !== undefined) this.pointer = pointer;
    this.code = d.code ?? (config ? ErrorCode.Config : errno ? ErrorCode.Syscall : ErrorCode.Failed);
  }

  /** The typed facts without the stack (for JSON logs and API callers). */
  toJSON(): { name: string; message: string; code: ErrorCode; pointer?: string; errno?: string } {
    const out: ReturnType<TsrunError['toJSON']> = { name: this.name, message: this.message, code: this.code };
    if (this.pointer !== undefined) out.pointer = this.pointer;
    if (this.errno) out.errno = this.errno;
    return out;
  }
}

/** Turn a Node fs error into a TsrunError: "<what>: <path>: ENOENT (no such file or directory)". */
export function fsError(what: string, err: unknown, code: ErrorCode = ErrorCode.Syscall): TsrunError {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code) {
    const detail = e.message.replace(/^[A-Z]+: /, '').replace(/, .*$/, '');
    return new TsrunError(`${what}: ${e.code} (${detail})`, { code, errno: e.code });
  }
  return new TsrunError(`${what}: ${String(err)}`, { code });
}
