// Finds koffi's native module and the C shim, in development and in the single
// executable. Nothing here runs until a command calls loadKoffi() or shimLibraryPath():
// commands that never touch FFI pay nothing.
//
// The executable (a Bun single-file executable, scripts/build.mjs) embeds both libraries;
// its entry records where they can be read (globalThis.__tsrunEmbedded: name -> path in
// the executable's own read-only filesystem). dlopen() needs a real file, so they are
// extracted once into a root-only cache dir named by the build id (a hash of the files,
// injected at build time); later runs only lstat() that dir. koffi is then made from
// its native module loaded with process.dlopen, so koffi never searches the filesystem.
// Only node: APIs are used, so `node build/tsrun.js` and the tests run this file on Node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsrunError } from '../common/errors';

type Koffi = typeof import('koffi');

// Injected by scripts/build.mjs (esbuild define); undefined when running TS sources.
declare const __TSRUN_BUILD_ID__: string | undefined;
declare const __TSRUN_KOFFI_VERSION__: string | undefined;
declare const __TSRUN_BUNDLED__: boolean | undefined;
declare const __TSRUN_LIB_DIR__: string | undefined; // build --lib-dir (tests); '' = default

const KOFFI_ASSET = 'koffi.node';
const SHIM_ASSET = 'libtsrun-shim.so';

let koffi: Koffi | undefined;
let libDir: string | undefined;
let exeNative: Record<string, unknown> | undefined; // koffi.node exports, dlopen'ed once

/** name -> readable path of each file the executable embeds; undefined outside it. */
type Embedded = Record<string, string>;

function embeddedFiles(): Embedded | undefined {
  const e = (globalThis as { __tsrunEmbedded?: Embedded }).__tsrunEmbedded;
  return e && typeof e === 'object' ? e : undefined;
}

/** The koffi module (loaded on first call, then cached). */
export function loadKoffi(): Koffi {
  if (koffi) return koffi;
  const emb = embeddedFiles();
  if (!emb) {
    // Dev: TS sources or build/tsrun.js (koffi is external to the bundle).
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    koffi = require('koffi') as Koffi;
    return koffi;
  }
  koffi = loadExeKoffi(emb);
  return koffi;
}

/** Absolute path of the shim shared library; throws if it was not built. */
export function shimLibraryPath(): string {
  const emb = embeddedFiles();
  let file: string;
  if (emb) {
    file = path.join(exeLibDir(emb), SHIM_ASSET);
  } else {
    // build/tsrun.js lives in build/ next to the .so; TS sources are two levels below the repo.
    const bundled = typeof __TSRUN_BUNDLED__ === 'boolean' && __TSRUN_BUNDLED__;
    file = bundled
      ? path.join(__dirname, SHIM_ASSET)
      : path.join(__dirname, '..', '..', 'build', SHIM_ASSET);
  }
  if (!fs.existsSync(file)) {
    throw new TsrunError(`native shim not found: ${file} (build it with "npm run build")`);
  }
  return file;
}

function loadExeKoffi(emb: Embedded): Koffi {
  const file = path.join(exeLibDir(emb), KOFFI_ASSET);
  let native: Record<string, unknown>;
  try {
    native = dlopenKoffi(file);
  } catch (err) {
    throw new TsrunError(`cannot load koffi from ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const want = typeof __TSRUN_KOFFI_VERSION__ === 'string' ? __TSRUN_KOFFI_VERSION__ : undefined;
  if (want && native.version !== want) {
    throw new TsrunError(`koffi native module ${file} is version ${String(native.version)}, expected ${want}`);
  }
  // koffi's JS wrapper only adds deprecated aliases; the native exports are the API.
  return native as unknown as Koffi;
}

/** dlopen koffi.node at most once per process (a second init of an addon is unsafe). */
function dlopenKoffi(file: string): Record<string, unknown> {
  if (exeNative) return exeNative;
  const mod = { exports: {} as Record<string, unknown> };
  process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
  return (exeNative = mod.exports);
}

/** Cache dirs to try, most preferred first. /run is noexec on some distros (Ubuntu). */
function cacheBases(): string[] {
  if (typeof __TSRUN_LIB_DIR__ === 'string' && __TSRUN_LIB_DIR__) return [__TSRUN_LIB_DIR__];
  const uid = process.geteuid?.() ?? 0;
  const tmp = path.join(os.tmpdir(), `tsrun-lib-${uid}`);
  return uid === 0 ? ['/run/tsrun-lib', '/var/cache/tsrun-lib', tmp] : [tmp];
}

/** A dir we can trust: a real dir (not a symlink), owned by us, no group/other bits. */
function trustedDir(p: string): boolean {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  return !!st && st.isDirectory() && st.uid === (process.geteuid?.() ?? 0) && (st.mode & 0o077) === 0;
}

function trustedFile(p: string): boolean {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  return !!st && st.isFile() && st.uid === (process.geteuid?.() ?? 0) && (st.mode & 0o022) === 0;
}

function buildId(): string {
  if (typeof __TSRUN_BUILD_ID__ === 'string') return __TSRUN_BUILD_ID__;
  throw new TsrunError('single executable was built without a build id (use scripts/build.mjs)');
}

/** The extracted-assets dir for this build: found by lstat, or extracted now. */
function exeLibDir(emb: Embedded): string {
  if (libDir) return libDir;
  const id = buildId();
  const bases = cacheBases();
  for (const base of bases) {
    const dir = path.join(base, id);
    if (trustedDir(base) && trustedDir(dir) && trustedFile(path.join(dir, KOFFI_ASSET))) {
      return (libDir = dir);
    }
  }
  const errors: string[] = [];
  for (const base of bases) {
    try {
      const dir = extract(emb, base, id);
      if (probeExec(dir)) return (libDir = dir);
      errors.push(`${base}: cannot map libraries (noexec mount?)`);
      removeTree(dir);
    } catch (err) {
      errors.push(`${base}: ${(err as Error).message}`);
    }
  }
  throw new TsrunError(`cannot extract native libraries: ${errors.join('; ')}`);
}

/** Make <base>/<id> holding the assets; safe against concurrent first runs. */
function extract(emb: Embedded, base: string, id: string): string {
  ensureTrustedDir(base);
  const dir = path.join(base, id);
  if (fs.lstatSync(dir, { throwIfNoEntry: false })) {
    if (trustedDir(dir) && trustedFile(path.join(dir, KOFFI_ASSET))) return dir;
    removeTree(dir); // wrong owner/mode, symlink, or incomplete: never use it
  }
  const tmp = fs.mkdtempSync(path.join(base, `.tmp-${id}-`)); // mode 0700
  try {
    for (const name of [KOFFI_ASSET, SHIM_ASSET]) {
      const from = emb[name];
      if (from === undefined) {
        if (name === KOFFI_ASSET) throw new Error(`${name} missing from the executable`);
        continue; // built without the shim: shimLibraryPath() reports it
      }
      writeFileSynced(path.join(tmp, name), fs.readFileSync(from));
    }
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // Another first run won the race; its dir is complete by construction (rename).
      removeTree(tmp);
      if (!trustedDir(dir)) throw new Error(`${dir} has the wrong owner or mode`);
    }
  } catch (err) {
    removeTree(tmp);
    throw err;
  }
  return dir;
}

function writeFileSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'wx', 0o500);
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Create base as 0700; replace it if it exists with the wrong owner, mode or type. */
function ensureTrustedDir(base: string): void {
  try {
    fs.mkdirSync(base, { mode: 0o700 });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (trustedDir(base)) return;
  removeTree(base);
  fs.mkdirSync(base, { mode: 0o700 }); // EEXIST here means someone raced us: fail
  if (!trustedDir(base)) throw new Error(`${base} has the wrong owner or mode`);
}

/** Remove a path without following symlinks: rename aside first so the name frees atomically. */
function removeTree(p: string): void {
  const aside = `${p}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(p, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  fs.rmSync(aside, { recursive: true, force: true });
}

/**
 * Check that libraries in dir can be mapped executable (dlopen fails with EPERM on a
 * noexec mount). Loading koffi here is no waste: it is what the caller wants next.
 */
function probeExec(dir: string): boolean {
  try {
    dlopenKoffi(path.join(dir, KOFFI_ASSET));
    return true;
  } catch (err) {
    if (/map segment|not permitted/i.test((err as Error).message)) return false;
    throw err;
  }
}
