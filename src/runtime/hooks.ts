// Hooks that run in the runtime's namespaces (prestart, createRuntime, poststart, poststop).
// createContainer and startContainer run inside the container, from the shim. Which hook
// runs when, and whether its failure is fatal: the table in oci/hooks.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Hook, HookName, State } from '../oci/types';
import { ErrorCode, TsrunError } from '../common/errors';
import { HOOKS } from '../oci/hooks';
import type { RuntimeOptions } from './options';

export interface HookOptions {
  /** Treat failures as warnings even where the hook table says they fail (poststart and
   *  poststop warn anyway). */
  warnOnly?: boolean;
  /** Where warnings go (hooks whose failure is a warning in oci/hooks.ts); default: nowhere. */
  log?: (msg: string) => void;
}

/** Run the hooks of one kind in order, each with the state JSON on stdin. */
export function runHooks(kind: HookName, hooks: Hook[] | undefined, state: State, opts: HookOptions = {}): void {
  if (!hooks?.length) return;
  const input = JSON.stringify(state);
  hooks.forEach((hook, i) => {
    try {
      runHook(hook, input, `${kind} hook #${i} (${hook.path})`);
    } catch (err) {
      if (HOOKS[kind].onFailure === 'fail' && !opts.warnOnly) throw err;
      opts.log?.((err as Error).message);
    }
  });
}

/** Hook warnings to the caller's logger. */
export function hookLog(g: RuntimeOptions): HookOptions {
  return { log: (msg) => g.logger?.warn(msg) };
}

function runHook(hook: Hook, input: string, what: string): void {
  // Output goes to an unlinked temp file, not a pipe: a hook that leaves a daemon behind
  // holding its stdout must not keep us waiting for EOF.
  const out = tempFd();
  try {
    const timeout = hook.timeout && hook.timeout > 0 ? hook.timeout * 1000 : undefined;
    // node:child_process (and the stream/net modules it pulls in) is loaded only when a hook
    // runs: start, state, kill and delete of containers without hooks never pay for it.
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync(hook.path, hook.args?.slice(1) ?? [], {
      argv0: hook.args?.[0] ?? hook.path,
      env: envObject(hook.env),
      input,
      stdio: ['pipe', out, out],
      timeout,
      killSignal: 'SIGKILL',
    });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      if (code === 'ETIMEDOUT') throw new TsrunError(`${what}: timed out after ${hook.timeout}s`, { code: ErrorCode.Hook });
      // EPIPE: the hook exited without reading its stdin; its exit status decides.
      if (code !== 'EPIPE') throw new TsrunError(`${what}: ${code ?? r.error.message}`, { code: ErrorCode.Hook, errno: code });
    }
    if (r.signal) throw new TsrunError(`${what}: killed by signal ${r.signal}${lastLine(out)}`, { code: ErrorCode.Hook });
    if (r.status !== 0) throw new TsrunError(`${what}: exited with status ${r.status}${lastLine(out)}`, { code: ErrorCode.Hook });
  } finally {
    fs.closeSync(out);
  }
}

/** Exactly the hook's env ("K=V" strings); none at all when the config gives none. */
function envObject(env: string[] | undefined): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

function tempFd(): number {
  const file = path.join(os.tmpdir(), `tsrun-hook-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(file, 'w+', 0o600);
  fs.unlinkSync(file);
  return fd;
}

/** ": <last non-empty line of the hook's output>" (at most 4 KiB read from the end), or "". */
function lastLine(fd: number): string {
  const size = fs.fstatSync(fd).size;
  if (!size) return '';
  const n = Math.min(size, 4096);
  const buf = Buffer.alloc(n);
  fs.readSync(fd, buf, 0, n, size - n);
  const line = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).pop();
  return line ? `: ${line.slice(0, 300)}` : '';
}
