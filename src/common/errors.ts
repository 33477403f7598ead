// The one error type the library throws. `message` is a complete, user-facing line:
// what failed, on which object, and the errno name where a syscall failed.
export class TsrunError extends Error {
  /** Process exit code the CLI uses for this error (runc exits 1 for almost everything). */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'TsrunError';
    this.exitCode = exitCode;
  }
}

/** Turn a Node fs error into a TsrunError: "<what>: <path>: ENOENT (no such file or directory)". */
export function fsError(what: string, err: unknown): TsrunError {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code) {
    const detail = e.message.replace(/^[A-Z]+: /, '').replace(/, .*$/, '');
    return new TsrunError(`${what}: ${e.code} (${detail})`);
  }
  return new TsrunError(`${what}: ${String(err)}`);
}
