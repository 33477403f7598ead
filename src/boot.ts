// Entry of the single executable (scripts/build.mjs bundles this file alone as the SEA's
// main script). It compiles the tsrun bundle, an SEA asset, with a V8 code cache that
// the build trained, then runs it.
//
// Why not node's own SEA code cache (useCodeCache)? That cache is made by compiling the
// bundle without running it, so it holds only top-level code: every function tsrun calls
// is still parsed and compiled on first use, each run (~15 ms for create, mostly the
// precompiled schema validators). A cache made after a training run holds the bytecode
// of every function the training reached.
//
// V8 deserializes a whole cache up front (~8 us per KiB here), so there are several caches
// for the same bundle (src/cache-sets.ts): one each for the commands callers run for every
// container and a full one for everything else (create/run/exec: validators, plan, seccomp
// compiler, FFI), which the small commands would pay ~2 ms extra to load. Any cache is
// valid for any command; the choice only changes what is precompiled.
//
// Build time only (never reachable from the executable, which is always a SEA):
//   node build/boot.js --cache-sets                         prints { set: asset file }
//   node build/boot.js --train SET build/tsrun.js OUT      (SET: full, state, start, ...)
// compiles the bundle exactly as the executable does, calls its warmUp() (cli/warmup.ts)
// and writes script.createCachedData(). One wrapper and one compile() here keep the
// training and the executable byte-identical, which V8 requires of a code cache.
import * as vm from 'node:vm';
import { CACHE_SETS, cacheAsset, cacheSetFor, type CacheSet } from './cache-sets';

const BUNDLE_ASSET = 'tsrun.js';

/** What the boot did, for TSRUN_TIMING (cli/main.ts marks it). */
export interface BootInfo {
  codeCache: string;
  /** process.uptime() in ms when the boot started, had the source, compiled it. */
  at: [number, number, number];
}

interface BundleExports {
  runMain?: (info: BootInfo) => void;
  warmUp?: (set: CacheSet) => Promise<void>;
}

function compile(source: string, cachedData?: Buffer): vm.Script {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE_ASSET,
    cachedData,
  });
}

function instantiate(script: vm.Script, dirname: string): BundleExports {
  const mod = { exports: {} as BundleExports };
  script.runInThisContext()(mod.exports, require, mod, `${dirname}/${BUNDLE_ASSET}`, dirname);
  return mod.exports;
}

interface Sea {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

function seaModule(): Sea | undefined {
  try {
    const sea = require('node:sea') as Sea;
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

function runExecutable(sea: Sea): void {
  const t0 = process.uptime() * 1000;
  // Buffer.from(ArrayBuffer) is a view of the executable's mapped asset: no copy.
  const source = Buffer.from(sea.getRawAsset(BUNDLE_ASSET)).toString('utf8');
  const set = cacheSetFor(process.argv.slice(2));
  let cache: Buffer | undefined;
  try {
    cache = Buffer.from(sea.getRawAsset(cacheAsset(set)));
  } catch {
    cache = undefined; // built with --no-code-cache
  }
  const t1 = process.uptime() * 1000;
  const script = compile(source, cache);
  const t2 = process.uptime() * 1000;
  const exports = instantiate(script, '/');
  const codeCache = cache ? `${set} ${script.cachedDataRejected ? 'rejected' : 'accepted'}` : 'none';
  exports.runMain?.({ codeCache, at: [t0, t1, t2] });
}

async function train(set: CacheSet, bundle: string, out: string): Promise<void> {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const script = compile(fs.readFileSync(bundle, 'utf8'));
  const exports = instantiate(script, path.dirname(path.resolve(bundle)));
  if (typeof exports.warmUp === 'function') await exports.warmUp(set);
  fs.writeFileSync(out, script.createCachedData());
}

const sea = seaModule();
if (sea) {
  runExecutable(sea);
} else if (process.argv[2] === '--cache-sets' && process.argv.length === 3) {
  process.stdout.write(`${JSON.stringify(Object.fromEntries(CACHE_SETS.map((s) => [s, cacheAsset(s)])))}\n`);
} else if (process.argv[2] === '--train' && CACHE_SETS.includes(process.argv[3] as CacheSet) && process.argv.length === 6) {
  train(process.argv[3] as CacheSet, process.argv[4], process.argv[5]).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`boot --train: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  process.stderr.write('boot.js is the entry of the tsrun single executable; run build/tsrun.js instead\n');
  process.exit(2);
}
