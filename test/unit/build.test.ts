// The single executable: it runs standalone (no node_modules reachable), and the
// native loader extracts and loads koffi + the shim from its assets.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKoffi, shimLibraryPath } from '../../src/native/loader';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-build-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function build(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** Run an executable copied out of the repo, from /, with a minimal environment. */
function runStandalone(exe: string, args: string[]) {
  return spawnSync(exe, args, { cwd: '/', encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
}

describe('dist/tsrun', () => {
  let exe = '';
  let skip = '';
  beforeAll(() => {
    if (!fs.existsSync(path.join(root, 'src', 'cli', 'main.ts'))) {
      skip = 'src/cli/main.ts does not exist yet';
      return;
    }
    const b = build([]);
    if (!b.ok) throw new Error(`npm run build failed:\n${b.out}`);
    exe = path.join(tmp, 'tsrun');
    fs.copyFileSync(path.join(root, 'dist', 'tsrun'), exe);
    fs.chmodSync(exe, 0o755);
  }, 300_000);

  it('prints its version standalone, like runc', (ctx) => {
    if (skip) {
      console.log(`skipped: ${skip}`);
      return ctx.skip();
    }
    const r = runStandalone(exe, ['--version']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tsrun version \d+\.\d+\.\d+\ncommit: (?:[0-9a-f]{4,}|unknown)\nspec: 1\.2\.0\n/);
  });

  it('is a Bun executable that ignores the environment and files that would run other code in it', (ctx) => {
    if (skip) {
      console.log(`skipped: ${skip}`);
      return ctx.skip();
    }
    // A root runtime is started from any dir with any environment (runc has no such door):
    // BUN_OPTIONS (--preload), BUN_BE_BUN (be the bun CLI), BUN_INSPECT are renamed in the
    // binary; .env and bunfig.toml autoloading is off.
    const dir = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const marker = path.join(dir, 'preloaded');
    const preload = path.join(dir, 'preload.js');
    fs.writeFileSync(preload, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n`);
    fs.writeFileSync(path.join(dir, '.env'), 'TSRUN_TIMING=1\n');
    fs.writeFileSync(path.join(dir, 'bunfig.toml'), `preload = [${JSON.stringify(preload)}]\n`);
    // A bytecode executable writes a profile to the file these name at exit (as root).
    const profiles = ['BUN_BYTECODE_ORDER_OUT', 'BUN_BYTECODE_ORDER_NAMES_OUT', 'BUN_BYTECODE_DIGEST_OUT'];
    const r = spawnSync(exe, ['--version'], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: '/usr/bin:/bin',
        BUN_OPTIONS: `--preload ${preload}`,
        BUN_BE_BUN: '1',
        BUN_INSPECT: 'ws://127.0.0.1:1/x',
        ...Object.fromEntries(profiles.map((v) => [v, path.join(dir, v)])),
      },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tsrun version .*\nbun: \d+\.\d+\.\d+\n$/s);
    expect(fs.existsSync(marker)).toBe(false);
    for (const v of profiles) expect(fs.existsSync(path.join(dir, v))).toBe(false);
    // The same preload is honoured by a plain bun (so the check above can fail).
    const bun = path.join(path.dirname(require.resolve('@oven/bun-linux-x64-baseline/package.json')), 'bin', 'bun');
    spawnSync(bun, ['--preload', preload, '-e', '0'], { cwd: '/' });
    expect(fs.existsSync(marker)).toBe(true);
    // And a command runs, with no timing output (.env was not read).
    const st = spawnSync(exe, ['--root', path.join(tmp, 'state'), 'state', 'nope'], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(st.status).toBe(1);
    expect(st.stderr).toBe('tsrun: container "nope" does not exist\n');
  });
});

// A tiny entry built into its own executable (own build dir and lib cache dir), so the
// loader is tested in a real Bun executable without a hidden CLI command and without touching
// /run/tsrun-lib, which real containers use.
describe('native loader in a single executable', () => {
  const libDir = path.join(tmp, 'lib');
  const exe = path.join(tmp, 'ffi-exe');
  let built = '';
  beforeAll(() => {
    const entry = path.join(tmp, 'ffi-entry.ts');
    const loader = path.join(root, 'src', 'native', 'loader');
    fs.writeFileSync(
      entry,
      `import { loadKoffi, shimLibraryPath } from ${JSON.stringify(loader)};
const t0 = process.hrtime.bigint();
const koffi = loadKoffi();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const getpid = koffi.load('libc.so.6').func('int getpid(void)');
let shim = '';
try { shim = shimLibraryPath(); koffi.load(shim); } catch (e) { shim = 'error: ' + (e as Error).message; }
process.stdout.write(JSON.stringify({ pid: getpid(), self: process.pid, ms, shim }));
`,
    );
    const b = build(['--entry', entry, '--out', exe, '--build-dir', path.join(tmp, 'build'), '--lib-dir', libDir]);
    if (!b.ok) throw new Error(`build of the loader test executable failed:\n${b.out}`);
    built = exe;
  }, 300_000);

  function runFfi() {
    const r = runStandalone(built, []);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as { pid: number; self: number; ms: number; shim: string };
  }

  it('extracts koffi once into a root-only dir and calls libc', () => {
    const out = runFfi();
    expect(out.pid).toBe(out.self);
    const dirs = fs.readdirSync(libDir);
    expect(dirs).toHaveLength(1); // no temp dirs left behind
    const dir = path.join(libDir, dirs[0]);
    const uid = process.geteuid!();
    for (const p of [libDir, dir]) {
      const st = fs.lstatSync(p);
      expect(st.isDirectory()).toBe(true);
      expect(st.uid).toBe(uid);
      expect(st.mode & 0o777).toBe(0o700);
    }
    const k = fs.lstatSync(path.join(dir, 'koffi.node'));
    expect(k.mode & 0o777).toBe(0o500);
    if (fs.existsSync(path.join(root, 'build', 'libtsrun-shim.so'))) {
      expect(out.shim).toBe(path.join(dir, 'libtsrun-shim.so'));
    }
    // Second run: found by lstat, same dir, files untouched.
    const before = k.mtimeMs;
    runFfi();
    expect(fs.lstatSync(path.join(dir, 'koffi.node')).mtimeMs).toBe(before);
  });

  it('refuses a cache dir with a wrong mode and recreates it', () => {
    runFfi();
    const dir = path.join(libDir, fs.readdirSync(libDir)[0]);
    fs.chmodSync(dir, 0o777);
    fs.chmodSync(libDir, 0o755);
    runFfi();
    expect(fs.lstatSync(libDir).mode & 0o777).toBe(0o700);
    expect(fs.lstatSync(dir).mode & 0o777).toBe(0o700);
  });

  it('replaces a symlinked cache dir instead of following it', () => {
    const elsewhere = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
    fs.rmSync(libDir, { recursive: true, force: true });
    fs.symlinkSync(elsewhere, libDir);
    runFfi();
    expect(fs.lstatSync(libDir).isDirectory()).toBe(true);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('survives concurrent first runs', async () => {
    fs.rmSync(libDir, { recursive: true, force: true });
    const { spawn } = await import('node:child_process');
    const runs = Array.from({ length: 6 }, () =>
      new Promise<number | null>((resolve) => {
        const c = spawn(built, [], { cwd: '/', stdio: 'ignore' });
        c.on('exit', (code) => resolve(code));
      }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(fs.readdirSync(libDir)).toHaveLength(1);
  });
});

describe('native loader in development', () => {
  it('loads koffi from node_modules and calls libc', () => {
    const koffi = loadKoffi();
    expect(koffi.load('libc.so.6').func('int getpid(void)')()).toBe(process.pid);
  });

  it('points at build/libtsrun-shim.so or says how to build it', () => {
    const so = path.join(root, 'build', 'libtsrun-shim.so');
    if (fs.existsSync(so)) expect(shimLibraryPath()).toBe(so);
    else expect(() => shimLibraryPath()).toThrow(/npm run build/);
  });
});
