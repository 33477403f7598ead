#!/usr/bin/env node
// Build tsrun into ONE executable, dist/tsrun (a Bun single-file executable):
//   1. validators  node scripts/gen-validators.mjs (if present)
//   2. shim        cc native-shim/*.c -> build/libtsrun-shim.so
//   3. bundle      esbuild src/cli/main.ts -> build/tsrun.js (koffi external; runs on Node:
//                  `node build/tsrun.js` is the development entry)
//   3b. lib        the library entry: esbuild src/index.ts -> dist/lib/index.js (koffi
//                  external, the shim copied beside it) and tsc declarations dist/lib/**/*.d.ts
//                  (tsconfig.lib.json); package.json "exports" point there. Skipped with --entry.
//   3c. split      the same entry as ES modules with code splitting (build/esm/): one chunk per
//                  lazily imported command and per group of modules they share, so a command
//                  loads only its own code (the executable's input; src/README.md "Start-up")
//   4. exe         bun build --compile --bytecode --splitting of a generated entry
//                  (build/exe-entry.mjs) that embeds koffi.node and the shim and calls the
//                  split bundle's runMain(); every chunk is its own bytecode, loaded on import.
//                  Bun comes from npm (@oven/bun-linux-x64-baseline, pinned in package-lock.json);
//                  the executable is that bun binary with the environment doors it would
//                  open to code injection renamed (see ENV_RENAMES) plus the bundle's bytecode.
// Each step prints one line with its time. Steps whose inputs are unchanged are skipped
// (content hashes in build/.stamps.json). Flags:
//   --force           rebuild every step
//   --no-exe          stop after the bundle
//   --no-minify       readable bundle (profiles name functions; a bit slower to load)
//   --keep-bun-env    let the executable honour BUN_OPTIONS, BUN_BE_BUN, BUN_INSPECT*
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
const CFLAGS = ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra'];

class BuildError extends Error {}

const DEFAULT_ENTRY = 'src/cli/main.ts';

function parseArgs(argv) {
  const o = { force: false, exe: true, envPatch: true, minify: true, entry: DEFAULT_ENTRY, out: 'dist/tsrun' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') o.force = true;
    else if (a === '--no-exe') o.exe = false;
    else if (a === '--keep-bun-env') o.envPatch = false;
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

/** Files the executable embeds: name -> absolute path (src/native/loader.ts extracts them). */
function embeddedFiles() {
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
function bundleDefines(o) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  // The build id names the runtime cache dir of extracted assets: it must change
  // whenever an asset does, and nothing else needs to (so no re-extraction per commit).
  const buildId = hashInputs(Object.values(embeddedFiles())).slice(0, 16);
  return {
    buildId,
    define: {
      __TSRUN_VERSION__: JSON.stringify(pkg.version),
      __TSRUN_COMMIT__: JSON.stringify(gitShortSha()),
      __TSRUN_BUILD_ID__: JSON.stringify(buildId),
      __TSRUN_KOFFI_VERSION__: JSON.stringify(koffiInfo().version),
      __TSRUN_BUNDLED__: 'true',
      __TSRUN_LIB_DIR__: JSON.stringify(o.libDir ?? ''),
    },
  };
}

async function bundle(o) {
  if (!fs.existsSync(o.entry)) throw new BuildError(`entry ${path.relative(root, o.entry)} does not exist yet`);
  const esbuild = require('esbuild');
  const { buildId, define } = bundleDefines(o);
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
    // executable's extracted copy of koffi.node. Bundling it would drag in its own
    // filesystem search for koffi.node.
    external: ['koffi'],
    define,
    plugins: [preferRequire(['yargs'])],
    logLevel: 'warning',
    metafile: true,
  });
  } catch {
    throw new BuildError('esbuild failed (errors above)');
  }
  const interop = cheapInterop(outfile);
  const kb = (fs.statSync(outfile).size / 1024).toFixed(0);
  return `${path.relative(root, outfile)} ${kb} KiB, ${Object.keys(res.metafile.inputs).length} inputs, build id ${buildId}, ${interop}`;
}

// 3c. the executable's input: ES modules, split at every dynamic import()
/**
 * esbuild's single CommonJS bundle keeps every module's code in one file; Bun compiles a
 * file to bytecode as a whole and loads it whole, so `state` paid for loading create,
 * the validators and yargs (~6 ms and 2 MiB here). Split ES modules let Bun keep each
 * chunk's bytecode apart and load it at the import() that needs it. Returns the entry's
 * output file.
 */
async function bundleSplit(o) {
  const esbuild = require('esbuild');
  const outdir = path.join(BUILD, 'esm');
  fs.rmSync(outdir, { recursive: true, force: true });
  let res;
  try {
    res = await esbuild.build({
      entryPoints: [o.entry],
      nodePaths: [path.join(root, 'node_modules')],
      outdir,
      entryNames: '[name]',
      absWorkingDir: root, // metafile paths below are relative to it
      bundle: true,
      splitting: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      minify: o.minify,
      sourcemap: false,
      legalComments: 'none',
      external: ['koffi'],
      // __TSRUN_ESM__: main.ts must not test require.main (no `module` in an ES module).
      define: { ...bundleDefines(o).define, __TSRUN_ESM__: 'true' },
      plugins: [preferRequire(['yargs'])],
      logLevel: 'warning',
      metafile: true,
    });
  } catch {
    throw new BuildError('esbuild (split ES modules) failed (errors above)');
  }
  const outputs = Object.entries(res.metafile.outputs);
  // Each import() target is an entry point of its own too: pick the one given.
  const entry = outputs.find(([, out]) => out.entryPoint && path.resolve(root, out.entryPoint) === o.entry)?.[0];
  if (!entry) throw new BuildError('esbuild (split ES modules) wrote no entry chunk');
  return { entry: path.resolve(root, entry), files: outputs.length };
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

// 4. the executable
/**
 * The bun binary from npm (a devDependency; no download at build or install time). The
 * baseline build: it needs no AVX/AVX2 (x86-64-v2 is enough), so the executable runs on
 * any x86-64 CPU of the last ~15 years (in this registry @oven/bun-linux-x64 1.4.4 is
 * byte-identical to it; src/README.md "Start-up").
 */
const BUN_PACKAGE = '@oven/bun-linux-x64-baseline';
const JIT_POLICY = 1000;
function bunBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve(`${BUN_PACKAGE}/package.json`));
  } catch {
    throw new BuildError(`${BUN_PACKAGE} is not installed (npm install)`);
  }
  return path.join(dir, 'bin', 'bun');
}

async function buildExe(o) {
  const bun = bunBinary();
  const split = await bundleSplit(o);
  const chunks = listFiles(path.dirname(split.entry));
  const files = embeddedFiles();
  const entry = path.join(BUILD, 'exe-entry.mjs');
  const embedded = path.join(BUILD, 'exe-embedded.mjs');
  // Bun embeds a file imported `with { type: "file" }` and gives its path inside the
  // executable's read-only filesystem (/$bunfs/...), which node:fs reads. The table is set
  // in a module of its own, imported first: ES imports run before the importer's body, and
  // an entry (such as the loader test's) may use the loader at its top level.
  const imports = Object.entries(files).map(([, file], i) => `import f${i} from ${JSON.stringify(file)} with { type: "file" };`);
  const table = Object.keys(files).map((name, i) => `${JSON.stringify(name)}: f${i}`).join(', ');
  const embeddedText = [
    '// Generated by scripts/build.mjs: the files dist/tsrun embeds (see src/native/loader.ts).',
    ...imports,
    `globalThis.__tsrunEmbedded = { ${table} };`,
    '',
  ].join('\n');
  const entryText = [
    '// Generated by scripts/build.mjs: the entry of dist/tsrun.',
    'import "./exe-embedded.mjs";',
    `import * as m from ${JSON.stringify(`./${path.relative(BUILD, split.entry)}`)};`,
    'if (typeof m.runMain === "function") m.runMain();',
    '',
  ].join('\n');
  const h = hashInputs([bun, ...chunks, fileURLToPath(import.meta.url), ...Object.values(files)], entryText, embeddedText, o.envPatch, JIT_POLICY);
  if (!o.force && stamps.exe === h && fs.existsSync(o.out)) return 'up to date';
  fs.writeFileSync(embedded, embeddedText);
  fs.writeFileSync(entry, entryText);

  const notes = [];
  let base = bun;
  if (o.envPatch) {
    // A renamed copy of bun is the executable's base (bun build --compile-executable-path).
    const exe = fs.readFileSync(bun);
    for (const [name, to] of ENV_RENAMES) notes.push(renameEnv(exe, name, to));
    base = path.join(BUILD, 'bun-base');
    fs.writeFileSync(`${base}.tmp`, exe, { mode: 0o755 });
    fs.renameSync(`${base}.tmp`, base);
  }
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const tmp = path.join(path.dirname(o.out), `.${path.basename(o.out)}.tmp`);
  fs.rmSync(tmp, { force: true });
  run(bun, [
    'build', entry, '--compile', '--bytecode', '--format=esm', '--splitting', '--minify',
    '--external', 'koffi',
    // A root runtime must not read .env or bunfig.toml from whatever dir it is started in.
    '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig',
    '--no-compile-autoload-tsconfig', '--no-compile-autoload-package-json',
    `--compile-executable-path=${base}`,
    // JavaScriptCore's tier-up thresholds x1000: a tsrun process lives ~20-200 ms and runs
    // most code once, so compiling it is wasted work (interleaved runs: state -2.5 ms CPU,
    // create+delete -12 ms CPU and -1.6 MiB peak RSS).
    `--compile-jit-policy=${JIT_POLICY}`,
    '--outfile', tmp,
  ], 'bun build --compile', true);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, o.out);
  stamps.exe = h;
  const mb = (fs.statSync(o.out).size / 1048576).toFixed(1);
  return `${path.relative(root, o.out)} ${mb} MiB (bun ${bunVersion(bun)}, bytecode, ${chunks.length} chunks${notes.length ? `, ${notes.join(', ')}` : ''}; embeds ${Object.keys(files).join(', ')})`;
}

function bunVersion(bun) {
  const r = spawnSync(bun, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}

/**
 * Environment variables bun reads before any JS runs that would let the environment of a
 * root runtime run other code in it (runc has no such door), renamed in the executable's
 * copy of bun to names nobody sets. Same length, so nothing moves; every occurrence
 * (bun keeps some of them in more than one table).
 * - BUN_OPTIONS: extra bun flags, e.g. --preload FILE;
 * - BUN_BE_BUN: makes any single-file executable act as the bun CLI itself;
 * - BUN_INSPECT (also the prefix of BUN_INSPECT_CONNECT_TO, BUN_INSPECT_NOTIFY): debugger;
 * - BUN_BYTECODE_ORDER_OUT, BUN_BYTECODE_ORDER_NAMES_OUT, BUN_BYTECODE_DIGEST_OUT: a bytecode
 *   executable writes (creates or truncates, as root) the file they name at exit.
 * test/unit/build.test.ts checks that the executable ignores them.
 */
const ENV_RENAMES = [
  ['BUN_OPTIONS', 'TSRUN_NOOPT'],
  ['BUN_BE_BUN', 'TSRUN_NOBB'],
  ['BUN_INSPECT', 'TSRUN_NOINS'],
  ['BUN_BYTECODE_ORDER_OUT', 'TSRUN_NO_BYTECODE_ORDR'],
  ['BUN_BYTECODE_ORDER_NAMES_OUT', 'TSRUN_NO_BYTECODE_ORDR_NAMES'],
  ['BUN_BYTECODE_DIGEST_OUT', 'TSRUN_NO_BYTECODE_DIGST'],
];

function renameEnv(exe, name, newName) {
  const from = Buffer.from(name);
  const to = Buffer.from(newName);
  if (from.length !== to.length) throw new BuildError(`renameEnv: ${newName} must have ${name.length} characters`);
  let n = 0;
  for (let at = exe.indexOf(from); at >= 0; at = exe.indexOf(from, at + 1)) {
    to.copy(exe, at);
    n++;
  }
  if (n === 0) throw new BuildError(`renameEnv: ${name} not found in bun (a new bun version? check ENV_RENAMES)`);
  return `${name} ignored`;
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
    if (o.exe) await step('exe', () => buildExe(o));
  } finally {
    saveStamps();
  }
  console.log(`build done in ${Date.now() - t0} ms`);
}

main().catch((err) => {
  console.error(`build: ${err instanceof BuildError ? err.message : err?.stack ?? err}`);
  process.exit(1);
});
