// Runtime-namespace hooks with real processes (busybox-static as the hook binary).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHooks } from '../../src/runtime/hooks';
import type { State } from '../../src/oci/types';

const BUSYBOX = '/bin/busybox';
const skip = fs.existsSync(BUSYBOX) ? undefined : `${BUSYBOX} missing (apt-get install busybox-static)`;
if (skip) console.warn(`[hooks.test] skipped: ${skip}`);

const state: State = { ociVersion: '1.2.0', id: 'h1', status: 'creating', pid: 4242, bundle: '/b', annotations: { k: 'v' } };
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hooks-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!!skip)('runHooks', () => {
  it('gives each hook the state on stdin, its own argv0 and args, and exactly its env', () => {
    process.env.TSRUN_HOOK_LEAK = 'leaked';
    const out = path.join(dir, 'out');
    // argv0 "sh" makes busybox run its shell applet: proof that args[0] is used as argv0.
    runHooks('prestart', [
      {
        path: BUSYBOX,
        args: ['sh', '-c', 'cat > "$1"; echo >> "$1"; echo "env:$FOO:${TSRUN_HOOK_LEAK:-unset}" >> "$1"', 'sh', out],
        env: ['FOO=bar'],
      },
    ], state);
    delete process.env.TSRUN_HOOK_LEAK;
    const [json, env] = fs.readFileSync(out, 'utf8').split('\n');
    expect(JSON.parse(json)).toEqual(state);
    expect(env).toBe('env:bar:unset');
  });

  it('runs hooks in order and stops at the first failure, naming it with its status and stderr', () => {
    const log = path.join(dir, 'order');
    const hook = (n: string, code = 0) => ({ path: BUSYBOX, args: ['sh', '-c', `echo ${n} >> ${log}; echo boom-${n} >&2; exit ${code}`] });
    expect(() => runHooks('createRuntime', [hook('a'), hook('b', 3), hook('c')], state)).toThrow(
      `createRuntime hook #1 (${BUSYBOX}): exited with status 3: boom-b`,
    );
    expect(fs.readFileSync(log, 'utf8')).toBe('a\nb\n');
  });

  it('kills a hook that outlives its timeout', () => {
    const t0 = Date.now();
    expect(() => runHooks('prestart', [{ path: BUSYBOX, args: ['sleep', '10'], timeout: 1 }], state)).toThrow(
      `prestart hook #0 (${BUSYBOX}): timed out after 1s`,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('reports a hook that cannot be executed', () => {
    expect(() => runHooks('prestart', [{ path: '/nonexistent/hook' }], state)).toThrow('prestart hook #0 (/nonexistent/hook): ENOENT');
  });

  it('poststop (warn-only in the hook table) logs each failure and runs the remaining hooks', () => {
    const log = path.join(dir, 'warn');
    const warnings: string[] = [];
    runHooks(
      'poststop',
      [
        { path: BUSYBOX, args: ['sh', '-c', 'exit 1'] },
        { path: BUSYBOX, args: ['sh', '-c', `echo ran > ${log}`] },
      ],
      { ...state, status: 'stopped' },
      { log: (m) => warnings.push(m) },
    );
    expect(warnings).toEqual([`poststop hook #0 (${BUSYBOX}): exited with status 1`]);
    expect(fs.readFileSync(log, 'utf8')).toBe('ran\n');
  });

  it('does not wait for a daemon the hook left holding its output', () => {
    const t0 = Date.now();
    runHooks('poststart', [{ path: BUSYBOX, args: ['sh', '-c', 'sleep 3 & echo started'] }], state);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('does nothing without hooks', () => {
    expect(() => runHooks('prestart', undefined, state)).not.toThrow();
    expect(() => runHooks('prestart', [], state)).not.toThrow();
  });
});
