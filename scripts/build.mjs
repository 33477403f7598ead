#!/usr/bin/env node
// Build tsrun into ONE executable, dist/tsrun (a Node single-executable application):
//   1. validators  node scripts/gen-validators.mjs (if present)
//   2. shim        cc native-shim/*.c -> build/libtsrun-shim.so
//   3. bundle      esbuild src/cli/main.ts -> build/tsrun.js (koffi external), and the
//                  executable's entry src/boot.ts -> build/boot.js
//   3b. lib        the library entry: esbuild src/index.ts -> dist/lib/index.js (koffi
//                  external, the shim copied beside it) and tsc declarations dist/lib/**/*.d.ts
//                  (tsconfig.lib.json); package.json "exports" point there. Skipped with --entry.
//   4. train       node build/boot.js --train: run cli/warmup.ts once and save the V8 code
//                  cache of every function it reached: build/tsrun.jscache (all commands)
//                  and build/tsrun-<cmd>.jscache for state/start/kill/delete/list (src/boot.ts)
//   5. sea         blob (main build/boot.js; assets tsrun.js, the caches, koffi.node,
//                  the shim) injected into a copy of node
// Each step prints one line with its time. Steps whose inputs are unchanged are skipped
// (content hashes in build/.stamps.json). Flags:
//   --force           rebuild every step
//   --no-sea          stop after the bundle
//   --no-code-cache   SEA without V8 code caches (for measurements)
//   --no-strip        keep node's debug info and symbol table (+12 MiB)
//   --no-minify       readable bundle (profiles name functions; a bit slower to load)
//   --keep-node-env   let the executable honour NODE_EXTRA_CA_CERTS and NODE_OPTIONS (see ENV_RENAMES)
//   --entry FILE      bundle entry (default src/cli/main.ts)
//   --out FILE        executable path (default dist/tsrun)
//   --build-dir DIR   intermediate outputs (default build/; tests use their own)
//   --lib-dir DIR     fixed cache dir for extracted native libs (tests; default: loader picks)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let BUILD = path.join(root, 'build'); // --build-dir
let STAMPS = path.join(BUILD, '.stamps.json');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const CFLAGS = ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra'];

class BuildError extends Error {}

const DEFAULT_ENTRY = 'src/cli/main.ts';

function parseArgs(argv) {
  const o = { force: false, sea: true, codeCache: true, strip: true, envPatch: true, minify: true, entry: DEFAULT_ENTRY, out: 'dist/tsrun' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') o.force = true;
    else if (a === '--no-sea') o.sea = false;
    else if (a === '--no-code-cache') o.codeCache = false;
    else if (a === '--no-strip') o.strip = false;
    else if (a === '--keep-node-env') o.envPatch = false;
    else if (a === '--no-minify') o.minify = false;
    else if (a === '--entry') o.entry = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--build-dir') o.buildDir = argv[++i];
    else if (a === '--lib-dir') o.libDir = argv[++i];
    else throw new BuildError(`unknown option ${a}`);
  }
  o.entry = path.resolve(root, o.entry);
  o.out = path.resolve(root, o.out);
  o.buildDir = path.resolve(root, o.buildDir ?? 'build');
  if (o.libDir !== undefined && !path.isAbsolute(o.libDir)) throw new BuildError('--lib-dir must be absolute');
  return o;
}

let stamps = {};
function loadStamps() {
  try {
    stamps = JSON.parse(fs.readFileSync(STAMPS, 'utf8'));
  } catch {
    stamps = {};
  }
}
function saveStamps() {
  fs.writeFileSync(STAMPS, JSON.stringify(stamps, null, 1));
}

/** Hash of file contents (sorted by path) plus extra strings: the "inputs changed" test. */
function hashInputs(files, ...extra) {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(path.relative(root, f) + '\0');
    h.update(fs.existsSync(f) ? fs.readFileSync(f) : 'missing');
    h.update('\0');
  }
  for (const e of extra) h.update(String(e) + '\0');
  return h.digest('hex');
}

function listFiles(dir, pred = () => true) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...listFiles(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}

/** Run fn as a named step and print "name: what (N ms)". fn returns the "what" text. */
async function step(name, fn) {
  const t0 = process.hrtime.bigint();
  const what = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${name.padEnd(10)} ${what} (${ms.toFixed(0)} ms)`);
}

/** Run a command; its output is shown only when it fails or when quiet is false. */
function run(cmd, args, what, quiet = false) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'] });
  if (r.error) throw new BuildError(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    if (quiet) process.stderr.write(Buffer.concat([r.stdout, r.stderr]));
    throw new BuildError(`${what} failed (exit ${r.status ?? r.signal})`);
  }
}

function gitShortSha() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : 'unknown';
}

// 1. precompiled ajv validators (owned by scripts/gen-validators.mjs)
async function genValidators(o) {
  const script = path.join(root, 'scripts', 'gen-validators.mjs');
  if (!fs.existsSync(script)) return 'skipped: scripts/gen-validators.mjs does not exist yet';
  const outDir = path.join(root, 'src', 'oci', 'generated');
  const h = hashInputs([script, ...listFiles(path.join(root, 'schema'))]);
  if (!o.force && stamps.validators === h && listFiles(outDir).length > 0) return 'up to date';
  run(process.execPath, [script], 'gen-validators');
  stamps.validators = h;
  return `wrote ${path.relative(root, outDir)}/`;
}

// 2. C shim
async function buildShim(o) {
  const dir = path.join(root, 'native-shim');
  const sources = listFiles(dir, (p) => p.endsWith('.c'));
  const out = path.join(BUILD, 'libtsrun-shim.so');
  if (sources.length === 0) {
    fs.rmSync(out, { force: true });
    return 'skipped: no native-shim/*.c yet (executable will have no shim)';
  }
  const cc = process.env.CC || 'cc';
  const headers = listFiles(dir, (p) => p.endsWith('.h'));
  const h = hashInputs([...sources, ...headers], cc, CFLAGS.join(' '));
  if (!o.force && stamps.shim === h && fs.existsSync(out)) return 'up to date';
  // The launcher (native-shim/README.md): shim.c again as a static executable, which the
  // library embeds (.incbin) and runs from a sealed memfd for every container process.
  const launcher = path.join(BUILD, 'tsrun-launcher');
  run(cc, ['-O2', '-static', '-s', '-Wall', '-Wextra', '-DTSRUN_LAUNCHER', '-o', launcher, path.join(dir, 'shim.c')], `${cc} -static native-shim/shim.c (launcher)`);
  const tmp = `${out}.tmp`;
  run(cc, [...CFLAGS, `-DTSRUN_LAUNCHER_BLOB="${launcher}"`, '-o', tmp, ...sources], `${cc} native-shim/*.c`);
  fs.renameSync(tmp, out);
  stamps.shim = h;
  return `${path.relative(root, out)} from ${sources.length} file(s), with the static launcher (${Math.round(fs.statSync(launcher).size / 1024)} KiB)`;
}

function koffiInfo() {
  const dir = path.dirname(require.resolve('koffi/package.json'));
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const native = path.join(dir, 'build', 'koffi', `${process.platform}_${process.arch}`, 'koffi.node');
  if (!fs.existsSync(native)) throw new BuildError(`koffi native module missing: ${native}`);
  return { version, native };
}

/** SEA assets that exist: name -> absolute path. */
function seaAssets() {
  const assets = { 'koffi.node': koffiInfo().native };
  const shim = path.join(BUILD, 'libtsrun-shim.so');
  if (fs.existsSync(shim)) assets['libtsrun-shim.so'] = shim;
  return assets;
}

// 3b. the library (package.json "exports"): one CommonJS bundle plus declarations.
async function buildLib(o) {
  if (o.entry !== path.join(root, DEFAULT_ENTRY)) return 'skipped: custom --entry';
  const out = path.join(root, 'dist', 'lib');
  const shim = path.join(BUILD, 'libtsrun-shim.so');
  const inputs = [
    ...listFiles(path.join(root, 'src'), (p) => /\.(ts|js|json)$/.test(p)),
    path.join(root, 'package.json'),
    path.join(root, 'tsconfig.json'),
    path.join(root, 'tsconfig.lib.json'),
    ...(fs.existsSync(shim) ? [shim] : []),
  ];
  const h = hashInputs(inputs, gitShortSha());
  if (!o.force && stamps.lib === h && fs.existsSync(path.join(out, 'index.js'))) return 'up to date';
  fs.rmSync(out, { recursive: true, force: true });
  const esbuild = require('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  try {
    await esbuild.build({
      entryPoints: [path.join(root, 'src', 'index.ts')],
      outfile: path.join(out, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      legalComments: 'none',
      sourcemap: false,
      external: ['koffi'], // resolved from the package's own node_modules at run time
      define: {
        __TSRUN_VERSION__: JSON.stringify(pkg.version),
        __TSRUN_COMMIT__: JSON.stringify(gitShortSha()),
        __TSRUN_KOFFI_VERSION__: JSON.stringify(koffiInfo().version),
        __TSRUN_BUNDLED__: 'true', // the loader then looks for the shim beside index.js
      },
      logLevel: 'warning',
    });
  } catch {
    throw new BuildError('esbuild failed on src/index.ts (errors above)');
  }
  if (fs.existsSync(shim)) fs.copyFileSync(shim, path.join(out, 'libtsrun-shim.so'));
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.lib.json')], 'tsc declarations');
  stamps.lib = h;
  const kb = (fs.statSync(path.join(out, 'index.js')).size / 1024).toFixed(0);
  return `${path.relative(root, out)}/index.js ${kb} KiB + .d.ts`;
}

// 3. esbuild bundle
async function bundle(o) {
  if (!fs.existsSync(o.entry)) throw new BuildError(`entry ${path.relative(root, o.entry)} does not exist yet`);
  const esbuild = require('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const assets = seaAssets();
  // The build id names the runtime cache dir of extracted assets: it must change
  // whenever an asset does, and nothing else needs to (so no re-extraction per commit).
  const buildId = hashInputs(Object.values(assets)).slice(0, 16);
  const define = {
    __TSRUN_VERSION__: JSON.stringify(pkg.version),
    __TSRUN_COMMIT__: JSON.stringify(gitShortSha()),
    __TSRUN_BUILD_ID__: JSON.stringify(buildId),
    __TSRUN_KOFFI_VERSION__: JSON.stringify(koffiInfo().version),
    __TSRUN_BUNDLED__: 'true',
    __TSRUN_LIB_DIR__: JSON.stringify(o.libDir ?? ''),
  };
  const outfile = path.join(BUILD, 'tsrun.js');
  let res;
  try {
    res = await esbuild.build({
    entryPoints: [o.entry],
    nodePaths: [path.join(root, 'node_modules')], // lets a --entry outside the repo resolve deps
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: o.minify,
    sourcemap: false,
    legalComments: 'none',
    // koffi is loaded by src/native/loader.ts: from node_modules in dev, from the
    // SEA's extracted asset in the executable. Bundling it would drag in its own
    // filesystem search for koffi.node.
    external: ['koffi'],
    define,
    plugins: [preferRequire(['yargs'])],
    logLevel: 'warning',
    metafile: true,
  });
    // The executable's entry: compiles tsrun.js with the trained code cache (src/boot.ts).
    await esbuild.build({
      entryPoints: [path.join(root, 'src', 'boot.ts')],
      outfile: path.join(BUILD, 'boot.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: o.minify,
      legalComments: 'none',
      logLevel: 'warning',
    });
  } catch {
    throw new BuildError('esbuild failed (errors above)');
  }
  const interop = cheapInterop(outfile);
  const kb = (fs.statSync(outfile).size / 1024).toFixed(0);
  return `${path.relative(root, outfile)} ${kb} KiB, ${Object.keys(res.metafile.inputs).length} inputs, build id ${buildId}, ${interop}`;
}

/**
 * esbuild turns each `import * as fs from 'node:fs'` into __toESM(require('node:fs')),
 * which copies every property of the module into a new object of getters: 40-odd times
 * per bundle, ~100 properties each (~1-2 ms of every command). Replace the helper's
 * body for plain CommonJS objects (node's builtins, yargs) with one cached object whose
 * prototype is the module: same reads, O(1). Anything else takes esbuild's path.
 * Performance only: if esbuild ever emits the helper differently, the build says so.
 */
function cheapInterop(file) {
  const src = fs.readFileSync(file, 'utf8');
  const re = /var\s+([\w$]+)\s*=\s*\(([\w$]+),\s*([\w$]+),\s*([\w$]+)\)\s*=>\s*\(\4\s*=\s*\2\s*!=\s*null\s*\?/;
  const m = src.match(re);
  if (!m) return 'esbuild __toESM helper NOT found: builtins keep the copying interop';
  const [whole, name, mod] = m;
  const fast =
    `var __tsrunNs=new WeakMap;` +
    `var ${name}=(${mod},...a)=>${mod}!==null&&typeof ${mod}=="object"&&!${mod}.__esModule` +
    `?__tsrunNs.get(${mod})??(__tsrunNs.set(${mod},a=Object.create(${mod},{default:{value:${mod},enumerable:!0}})),a)` +
    `:${name}$esbuild(${mod},...a);`;
  fs.writeFileSync(file, src.replace(whole, `${fast}var ${name}$esbuild=${whole.slice(whole.indexOf('=') + 1)}`));
  return 'cheap builtin interop';
}

// 4. code caches trained by warm-up runs (src/boot.ts, src/cache-sets.ts, src/cli/warmup.ts)

/** Run build/boot.js with args (no extra V8 flags: see trainCodeCache); its stdout. */
function boot(args, what) {
  // Same binary and no extra V8 flags as the executable, or V8 rejects the cache: the
  // environment must not add any through NODE_OPTIONS.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.TSRUN_TIMING;
  const r = spawnSync(process.execPath, [path.join(BUILD, 'boot.js'), ...args], { cwd: BUILD, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(Buffer.concat([r.stdout ?? Buffer.alloc(0), r.stderr ?? Buffer.alloc(0)]));
    throw new BuildError(`${what} failed (exit ${r.status ?? r.signal})`);
  }
  return r.stdout.toString();
}

/** set -> cache file name, as src/cache-sets.ts defines them. */
function cacheSets() {
  return JSON.parse(boot(['--cache-sets'], 'node build/boot.js --cache-sets'));
}

async function trainCodeCache(o) {
  const caches = cacheSets();
  const custom = o.entry !== path.resolve(root, DEFAULT_ENTRY);
  if (!o.codeCache || custom) {
    for (const f of Object.values(caches)) fs.rmSync(path.join(BUILD, f), { force: true });
    return custom ? 'skipped (--entry: only tsrun itself has a warm-up)' : 'skipped (--no-code-cache)';
  }
  const sizes = [];
  for (const [set, name] of Object.entries(caches)) {
    const out = path.join(BUILD, name);
    boot(['--train', set, path.join(BUILD, 'tsrun.js'), out], `training run (${set}) for the code cache`);
    sizes.push(`${set} ${(fs.statSync(out).size / 1024).toFixed(0)}`);
  }
  return `code caches (KiB): ${sizes.join(', ')}`;
}

/**
 * Resolve these packages through their "require" export condition even when imported
 * with `import`: yargs' ESM build needs import.meta.url, which a CJS bundle lacks.
 */
function preferRequire(names) {
  const filter = new RegExp(`^(${names.join('|')})(/|$)`);
  return {
    name: 'prefer-require',
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === 'prefer-require') return undefined;
        const r = await build.resolve(args.path, {
          kind: 'require-call',
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'prefer-require',
        });
        return r.errors.length ? undefined : { path: r.path, external: r.external };
      });
    },
  };
}

// 4. single executable
async function buildSea(o) {
  const main = path.join(BUILD, 'boot.js');
  const assets = { 'tsrun.js': path.join(BUILD, 'tsrun.js'), ...seaAssets() };
  const caches = cacheSets();
  for (const name of Object.values(caches)) if (fs.existsSync(path.join(BUILD, name))) assets[name] = path.join(BUILD, name);
  const config = {
    main,
    output: path.join(BUILD, 'tsrun.blob'),
    disableExperimentalSEAWarning: true,
    useCodeCache: o.codeCache, // node's own cache, for boot.js only
    assets,
  };
  const h = hashInputs([main, fileURLToPath(import.meta.url), ...Object.values(assets)], JSON.stringify(config), process.execPath, process.version, o.strip, o.envPatch);
  if (!o.force && stamps.sea === h && fs.existsSync(o.out)) return 'up to date';
  const cfgFile = path.join(BUILD, 'sea-config.json');
  fs.writeFileSync(cfgFile, JSON.stringify(config, null, 1));
  run(process.execPath, ['--experimental-sea-config', cfgFile], 'node --experimental-sea-config', true);

  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const tmp = path.join(path.dirname(o.out), `.${path.basename(o.out)}.tmp`);
  fs.rmSync(tmp, { force: true });
  const notes = [];
  const exe = fs.readFileSync(process.execPath);
  if (o.envPatch) for (const [name, to] of ENV_RENAMES) notes.push(renameEnv(exe, name, to));
  fs.writeFileSync(tmp, exe, { mode: 0o755 });
  if (o.strip) notes.push(stripExe(tmp));
  const { inject } = require('postject');
  // postject (LIEF in wasm) chatters on stdout/stderr ("Can't find string offset for
  // section name '.note.100'", harmless); keep it for failures only.
  const chatter = [];
  const saved = { log: console.log, warn: console.warn, error: console.error, write: process.stderr.write };
  console.log = console.warn = console.error = (...a) => void chatter.push(a.join(' '));
  process.stderr.write = (chunk) => (chatter.push(String(chunk)), true);
  try {
    await inject(tmp, 'NODE_SEA_BLOB', fs.readFileSync(config.output), { sentinelFuse: SEA_FUSE });
  } catch (err) {
    Object.assign(console, { log: saved.log, warn: saved.warn, error: saved.error });
    process.stderr.write = saved.write;
    process.stderr.write(chatter.join('\n') + '\n');
    throw new BuildError(`postject failed: ${err?.message ?? err}`);
  } finally {
    Object.assign(console, { log: saved.log, warn: saved.warn, error: saved.error });
    process.stderr.write = saved.write;
  }
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, o.out);
  stamps.sea = h;
  const mb = (fs.statSync(o.out).size / 1048576).toFixed(1);
  const mode = assets[caches.full] ? 'trained code caches' : 'no trained code cache';
  return `${path.relative(root, o.out)} ${mb} MiB (${[mode, ...notes].join(', ')}; assets: ${Object.keys(assets).join(', ')})`;
}

/**
 * Environment variables node reads in C++ before any JS runs, renamed in the
 * executable's copy of node to names nobody sets:
 * - NODE_EXTRA_CA_CERTS makes node eagerly parse every root certificate (~50-70 ms per
 *   start where it is set); tsrun never speaks TLS.
 * - NODE_OPTIONS would let the environment of a root runtime inject --require code or
 *   --inspect into it (runc has no such door). Debug with `node build/tsrun.js` instead.
 * Same length, so nothing moves.
 */
const ENV_RENAMES = [
  ['NODE_EXTRA_CA_CERTS', 'TSRUN_EXTRA_CA_CERT'],
  ['NODE_OPTIONS', 'TSRUN_NODEOP'],
];

function renameEnv(exe, name, newName) {
  const from = Buffer.from(`\0${name}\0`);
  const to = Buffer.from(`\0${newName}\0`);
  if (from.length !== to.length) throw new BuildError(`renameEnv: ${newName} must have ${name.length} characters`);
  // Only node's C string in .rodata. V8's embedded startup snapshot holds the same
  // bytes as heap strings (32-bit length right before the characters): leave those.
  const ro = elfSection(exe, '.rodata');
  if (!ro) return `${name} kept (no .rodata)`;
  const hits = [];
  for (let at = exe.indexOf(from, ro.offset); at >= 0 && at < ro.offset + ro.size; at = exe.indexOf(from, at + 1)) {
    if (exe.readUInt32LE(at - 3) !== name.length) hits.push(at);
  }
  if (hits.length !== 1) return `${name} kept (${hits.length} C strings found, want 1)`;
  to.copy(exe, hits[0]);
  return `${name} ignored`;
}

/** File offset and size of a named section of a little-endian ELF64 image. */
function elfSection(buf, name) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return undefined;
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const sh = (i) => {
    const b = shoff + i * shentsize;
    return { name: buf.readUInt32LE(b), offset: Number(buf.readBigUInt64LE(b + 0x18)), size: Number(buf.readBigUInt64LE(b + 0x20)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const start = strtab.offset + s.name;
    if (buf.toString('latin1', start, buf.indexOf(0, start)) === name) return s;
  }
  return undefined;
}

/** Drop debug info and the static symbol table (.dynsym, which addons link against, stays). */
function stripExe(file) {
  const r = spawnSync('strip', ['--strip-all', file], { stdio: 'pipe' });
  return r.status === 0 ? 'stripped' : 'not stripped (no strip tool)';
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  BUILD = o.buildDir;
  STAMPS = path.join(BUILD, '.stamps.json');
  fs.mkdirSync(BUILD, { recursive: true });
  loadStamps();
  const t0 = Date.now();
  try {
    await step('validators', () => genValidators(o));
    await step('shim', () => buildShim(o));
    await step('bundle', () => bundle(o));
    await step('lib', () => buildLib(o));
    if (o.sea) {
      await step('train', () => trainCodeCache(o));
      await step('sea', () => buildSea(o));
    }
  } finally {
    saveStamps();
  }
  console.log(`build done in ${Date.now() - t0} ms`);
}

main().catch((err) => {
  console.error(`build: ${err instanceof BuildError ? err.message : err?.stack ?? err}`);
  process.exit(1);
});
