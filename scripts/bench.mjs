#!/usr/bin/env node
// Side-by-side speed benchmark of tsrun, runc and crun (run as root; never part of a test suite).
//
//   node scripts/bench.mjs [--iterations N=30] [--runtimes tsrun,runc,crun] [--tsrun PATH=dist/tsrun]
//                          [--also NAME=PATH]... [--both-env] [--quick] [--batch N=100]
//                          [--seconds S=10] [--json FILE]
//
// --also adds another tsrun build as a column of its own (e.g. an older Node-SEA build, to
// show what the Bun executable changed); the header lists each executable's size.
//
// One run, runtimes interleaved per iteration (and their order rotated) so machine noise
// hits all of them alike. Prints a markdown table: one row per measure, one column per
// runtime, plus ratio columns against runc. How each number is taken is printed under
// the table (see also scripts/bench-lib/ops.mjs).
//
// crun 1.8 refuses the hybrid cgroup layout of this machine. Its whole series runs from a
// helper Node process (scripts/bench-lib/ns-helper.mjs) started once inside a private mount
// namespace where /sys/fs/cgroup/unified is unmounted; the helper spawns and times crun with
// the same code the bench uses for the others, so there is no extra process per command
// and nothing to subtract. (crun then sees cgroup v1 only, so it does not create the
// unified-hierarchy cgroup that runc does here.)
//
// Everything lives under a private dir /tmp/tsrun-bench-XXXX (bundles, --root dirs); it is
// removed at the end, on error and on Ctrl-C/SIGTERM (containers are `delete -f`ed, leftover
// processes carrying the run's marker env var killed, cgroups named after the run removed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeBundle } from './mkbundle.mjs';
import { ops, abort as abortOps, spawnTimed } from './bench-lib/ops.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { iterations: 30, runtimes: ['tsrun', 'runc', 'crun'], tsrun: 'dist/tsrun', also: [], quick: false, bothEnv: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [k, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => (inline !== undefined ? inline : argv[++i]);
    switch (k) {
      case '--iterations': case '-n': o.iterations = Number(val()); break;
      case '--runtimes': o.runtimes = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--tsrun': o.tsrun = val(); break;
      case '--also': {
        const v = val();
        const eq = v.indexOf('=');
        if (eq < 1) {
          console.error('bench: --also wants NAME=PATH');
          process.exit(2);
        }
        o.also.push({ name: v.slice(0, eq), bin: v.slice(eq + 1) });
        break;
      }
      case '--quick': o.quick = true; break;
      case '--both-env': o.bothEnv = true; break;
      case '--batch': o.batch = Number(val()); break;
      case '--seconds': o.seconds = Number(val()); break;
      case '--json': o.json = val(); break;
      case '-h': case '--help':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 11).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        console.error(`bench: unknown option ${a} (try --help)`);
        process.exit(2);
    }
  }
  const explicitN = argv.some((a) => a.startsWith('--iterations') || a === '-n');
  if (o.quick && !explicitN) o.iterations = 8;
  if (!Number.isInteger(o.iterations) || o.iterations < 1) {
    console.error('bench: --iterations must be a positive integer');
    process.exit(2);
  }
  o.warmup = o.quick ? 1 : 2;
  o.batch ??= o.quick ? 20 : 100;
  o.seconds ??= o.quick ? 3 : 10;
  o.rssRounds = o.quick ? 3 : 5;
  o.listIterations = o.quick ? Math.min(o.iterations, 5) : o.iterations;
  return o;
}

const opts = parseArgs(process.argv.slice(2));
if (process.getuid() !== 0) {
  console.error('bench: must run as root (it creates containers)');
  process.exit(2);
}

const log = (...a) => console.error('[bench]', ...a);
const nonce = crypto.randomBytes(3).toString('hex');
const work = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-bench-${nonce}-`));
const caSet = Boolean(process.env.NODE_EXTRA_CA_CERTS);

// ---------------------------------------------------------------- helpers
function which(name) {
  for (const d of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}
const median = (xs) => quant(xs, 0.5);
function quant(xs, q) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (q === 0.5) return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]; // nearest rank
}
const min = (xs) => (xs.length ? Math.min(...xs) : NaN);

function hybridCgroups() {
  const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const v2 = mi.some((l) => / \/sys\/fs\/cgroup\/unified /.test(l) && / - cgroup2 /.test(l));
  const v1 = mi.some((l) => / - cgroup /.test(l));
  return { hybrid: v1 && v2, mode: v1 && v2 ? 'hybrid (v1 + v2 at /sys/fs/cgroup/unified)' : v1 ? 'v1' : 'v2' };
}

// ---------------------------------------------------------------- executors
class Local {
  async call(op, ...args) {
    return ops[op](...args);
  }
  async close() {}
}

/** The ns-helper: one Node process in a private mount namespace without the cgroup2 mount. */
class Remote {
  constructor() {
    this.seq = 0;
    this.pending = new Map();
    this.dead = null;
    const helper = path.join(HERE, 'bench-lib', 'ns-helper.mjs');
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS; // one start only; irrelevant, but no need to pay it
    this.proc = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$0" "$1"', process.execPath, helper],
      { stdio: ['pipe', 'pipe', 'pipe'], env },
    );
    let err = '';
    this.proc.stderr.on('data', (d) => (err += d));
    this.proc.on('error', (e) => this.die(`cannot start unshare: ${e.message}`));
    this.proc.on('exit', (code, sig) => this.die(`namespace helper exited (${sig || code})${err ? `: ${err.trim().split('\n').pop()}` : ''}`));
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  }
  die(reason) {
    this.dead ??= reason;
    for (const p of this.pending.values()) p.reject(new Error(this.dead));
    this.pending.clear();
  }
  call(op, ...args) {
    if (this.dead) return Promise.reject(new Error(this.dead));
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.pending.set(seq, { resolve, reject });
      this.proc.stdin.write(JSON.stringify({ seq, op, args }) + '\n');
    });
  }
  async close() {
    if (this.dead) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.end(); // helper cleans up what is left and exits
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30000).unref())]);
  }
}

// ---------------------------------------------------------------- runtimes
const cg = hybridCgroups();
let bundleTrue;
let bundleSleep;
const variants = [];

function addVariant(name, tag, bin, env, exec, disabled = null) {
  const mark = `TSRUN_BENCH_MARK=${nonce}-${tag}`;
  const rt = {
    name,
    bin,
    env: { ...env, TSRUN_BENCH_MARK: `${nonce}-${tag}` },
    mark,
    root: path.join(work, `root-${tag}`),
    tmp: path.join(work, `tmp-${tag}`),
    bundleTrue,
    bundleSleep,
  };
  fs.mkdirSync(rt.tmp, { recursive: true });
  variants.push({ name, tag, rt, exec, disabled, errors: {}, data: {}, notes: [] });
}

function setupVariants() {
  const cfgFix = (c) => {
    // crun 1.8 rejects ociVersion 1.2.0 ("unknown version specified"); 1.0.2 is accepted by all.
    c.ociVersion = '1.0.2';
    c.process.terminal = false;
  };
  bundleTrue = makeBundle(path.join(work, 'bundle-true'), { args: ['/bin/true'], mutate: cfgFix });
  bundleSleep = makeBundle(path.join(work, 'bundle-sleep'), { args: ['sleep', '100'], mutate: cfgFix });
  const local = new Local();
  for (const r of opts.runtimes) {
    if (r === 'tsrun') {
      const bin = path.resolve(REPO, opts.tsrun);
      let why = null;
      try {
        fs.accessSync(bin, fs.constants.X_OK);
      } catch {
        why = `not found or not executable: ${path.relative(REPO, bin) || bin}`;
      }
      addVariant('tsrun', 'tsrun', bin, process.env, local, why);
      if (opts.bothEnv) {
        const env = { ...process.env };
        delete env.NODE_EXTRA_CA_CERTS;
        addVariant('tsrun (no CA env)', 'tsrun-noca', bin, env, local, why);
        if (!caSet) variants.at(-1).notes.push('NODE_EXTRA_CA_CERTS was not set: same env as the tsrun column');
      }
      for (const [i, a] of opts.also.entries()) {
        const abin = path.resolve(REPO, a.bin);
        addVariant(a.name, `also${i}`, abin, process.env, local, fs.existsSync(abin) ? null : `not found: ${abin}`);
      }
    } else if (r === 'runc' || r === 'crun') {
      const bin = which(r);
      let exec = local;
      let why = bin ? null : `${r} not found in PATH`;
      if (bin && r === 'crun' && cg.hybrid) exec = new Remote();
      addVariant(r, r, bin || r, process.env, exec, why);
    } else {
      console.error(`bench: unknown runtime ${r} (tsrun, runc, crun)`);
      process.exit(2);
    }
  }
}

// ---------------------------------------------------------------- cleanup
let cleaning = null;
async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    abortOps();
    const remotes = new Set();
    for (const v of variants) {
      try {
        await v.exec.call('abort');
      } catch {}
    }
    for (const v of variants) {
      try {
        const r = await v.exec.call('cleanup', [v.rt]);
        for (const l of r.report.slice(0, 5)) log('cleanup:', l);
        if (r.report.length > 5) log(`cleanup: ... and ${r.report.length - 5} more for ${v.name}`);
      } catch (e) {
        log(`cleanup of ${v.name}: ${e.message}`);
      }
      if (v.exec instanceof Remote) remotes.add(v.exec);
    }
    for (const r of remotes) await r.close();
    // cgroups named after this run's container ids (every id carries the nonce)
    for (const dir of cgroupLeftovers()) {
      try {
        fs.rmdirSync(dir);
        log('cleanup: removed leftover cgroup', dir);
      } catch (e) {
        log('cleanup: could not remove cgroup', dir, e.code);
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
function cgroupLeftovers() {
  const found = [];
  const walk = (d, depth) => {
    let ents;
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (depth > 0) walk(p, depth - 1);
      if (e.name.includes(`b${nonce}`)) found.push(p); // children pushed before parents
    }
  };
  walk('/sys/fs/cgroup', 3);
  return found;
}
let signalled = 0;
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(s, () => {
    signalled++;
    if (signalled === 1) {
      log(`${s}: stopping, cleaning up (again to skip waiting for running commands)...`);
      abortOps();
      for (const v of variants) v.exec.call('abort').catch(() => {});
    }
    if (signalled >= 2 || !running) cleanup().finally(() => process.exit(130));
  });
}
let running = false;

// ---------------------------------------------------------------- measuring
function check() {
  if (signalled) throw new Error('interrupted');
}
async function measure(v, key, fn) {
  check();
  if (v.disabled || v.errors[key]) return undefined;
  try {
    return await fn();
  } catch (e) {
    check();
    v.errors[key] = e.message;
    log(`${v.name}: ${key} failed: ${e.message}`);
    return undefined;
  }
}
const push = (v, key, x) => (v.data[key] ??= []).push(x);
const active = () => variants.filter((v) => !v.disabled);
const rotate = (arr, k) => arr.map((_, i) => arr[(i + k) % arr.length]);
const id = (v, what, i) => `b${nonce}-${v.tag.replace(/[^a-z0-9]/g, '')}-${what}${i}`;

async function nodeFloor() {
  // Node's own start cost on this machine, for reading the tsrun column.
  const rts = [
    { name: 'node -e 0', bin: process.execPath, env: { ...process.env }, tmp: work },
    { name: 'node -e 0 (no CA env)', bin: process.execPath, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS')), tmp: work },
  ];
  const res = Object.fromEntries(rts.map((r) => [r.name, []]));
  for (let i = 0; i < (opts.quick ? 5 : 10); i++) {
    for (const r of rotate(rts, i)) {
      const x = await spawnTimed(r, ['-e', '0'], { noRoot: true });
      if (x.code === 0) res[r.name].push(x.ms);
    }
  }
  return Object.fromEntries(Object.entries(res).map(([k, xs]) => [k, median(xs)]));
}

async function main() {
  running = true;
  const tStart = Date.now();
  setupVariants();
  log(`work dir ${work}; cgroups: ${cg.mode}; NODE_EXTRA_CA_CERTS ${caSet ? 'set' : 'not set'}`);

  // smoke: one `run` and one lifecycle each. A failure here is only noted: every measure
  // is then tried on its own (and given up after its first failure), so a runtime that
  // is half done still gets numbers for what works.
  for (const v of active()) {
    if (v.exec instanceof Remote) v.notes.push('via mount-namespace helper (cgroup2 unmounted)');
    try {
      await v.exec.call('run', v.rt, id(v, 'smoke', 0));
      await v.exec.call('lifecycle', v.rt, id(v, 'smoke', 1));
    } catch (e) {
      check();
      v.notes.push(`smoke test failed: ${e.message}`);
      log(`${v.name}: smoke test failed: ${e.message}`);
      if (v.exec instanceof Remote && v.exec.dead) v.disabled = v.exec.dead;
    }
  }
  const floor = await nodeFloor();

  // 1. iterations: run, lifecycle, each command, spec, features
  const total = opts.warmup + opts.iterations;
  for (let i = 0; i < total; i++) {
    const keep = i >= opts.warmup;
    if (i % 5 === 0) log(`iteration ${i + 1}/${total}${keep ? '' : ' (warm-up)'}`);
    for (const v of rotate(active(), i)) {
      const r = await measure(v, 'run', () => v.exec.call('run', v.rt, id(v, 'run', i)));
      if (r && keep) push(v, 'run', r.ms);
      const l = await measure(v, 'lifecycle', () => v.exec.call('lifecycle', v.rt, id(v, 'lc', i)));
      if (l && keep) {
        push(v, 'lifecycle', l.ms);
        push(v, 'lc.wait', l.wait);
      }
      const s = await measure(v, 'series', () => v.exec.call('series', v.rt, id(v, 'cmd', i)));
      if (s && keep) for (const k of ['create', 'state', 'start', 'kill', 'delete']) push(v, k, s[k]);
      const sp = await measure(v, 'spec', () => v.exec.call('spec', v.rt));
      if (sp && keep) push(v, 'spec', sp.ms);
      const f = await measure(v, 'features', () => v.exec.call('features', v.rt));
      if (f && keep) push(v, 'features', f.ms);
    }
  }

  // 2. peak RSS of `create` (GNU time %M = ru_maxrss from wait4)
  log('peak RSS of create');
  for (let i = 0; i < opts.rssRounds; i++) {
    for (const v of rotate(active(), i)) {
      const r = await measure(v, 'peakRss', () => v.exec.call('peakRss', v.rt, id(v, 'rss', i)));
      if (r) push(v, 'peakRss', r.kb / 1024);
    }
  }

  // 3. a batch of created `sleep 100` containers per runtime: memory, then `list`
  log(`creating ${opts.batch} containers per runtime`);
  for (const v of active()) {
    const r = await measure(v, 'batch', () => v.exec.call('createMany', v.rt, id(v, 'many', ''), opts.batch, 2));
    if (r) {
      v.data.initRss = r.rssKb.map((x) => x / 1024);
      v.data.initPss = r.pssKb.map((x) => x / 1024);
      v.data.memDrop = [r.memDropKb / 1024 / r.n];
      v.data.resident = [r.resident];
      if (r.resident) v.notes.push(`resident after create: ${r.residentDesc.join('; ')}`);
    }
  }
  for (let i = 0; i < opts.listIterations; i++) {
    for (const v of rotate(active(), i)) {
      if (v.errors.batch) {
        v.errors.list ??= `needs the container batch, which failed: ${v.errors.batch}`;
        continue;
      }
      const r = await measure(v, 'list', () => v.exec.call('list', v.rt, id(v, 'many', ''), opts.batch));
      if (r) push(v, 'list', r.ms);
    }
  }
  for (const v of active()) {
    const r = await measure(v, 'batchDelete', () => v.exec.call('deleteMany', v.rt, id(v, 'many', '')));
    if (r && r.errors.length) log(`${v.name}: delete -f of the batch: ${r.errors.join('; ')}`);
  }

  // 4. throughput: 2 and 8 concurrent create/start/wait/delete loops
  for (const conc of [2, 8]) {
    for (const v of active()) {
      log(`throughput x${conc}: ${v.name} for ${opts.seconds}s`);
      const r = await measure(v, `tput${conc}`, () => v.exec.call('throughput', v.rt, id(v, `t${conc}-`, ''), conc, opts.seconds));
      if (r) push(v, `tput${conc}`, r.rate);
    }
  }

  const pollAfterEof = {};
  for (const v of active()) {
    try {
      const c = await v.exec.call('counters');
      pollAfterEof[v.name] = `${c.pollAfterEof}/${c.waits}`;
    } catch {}
  }
  report(floor, pollAfterEof, (Date.now() - tStart) / 1000);
}

// ---------------------------------------------------------------- report
const ROWS = [
  ['run', min, '`run` /bin/true, min (ms)', 'run'],
  ['run', median, '`run` /bin/true, median (ms)', 'run'],
  ['run', (x) => quant(x, 0.95), '`run` /bin/true, p95 (ms)', 'run'],
  ['lifecycle', min, 'create+start+wait+delete /bin/true, min (ms)', 'lifecycle'],
  ['lifecycle', median, 'create+start+wait+delete /bin/true, median (ms)', 'lifecycle'],
  ['lifecycle', (x) => quant(x, 0.95), 'create+start+wait+delete /bin/true, p95 (ms)', 'lifecycle'],
  ['create', median, '`create`, median (ms)', 'series'],
  ['start', median, '`start`, median (ms)', 'series'],
  ['state', median, '`state` (created), median (ms)', 'series'],
  ['kill', median, '`kill ID KILL`, median (ms)', 'series'],
  ['delete', median, '`delete` (stopped), median (ms)', 'series'],
  ['list', median, null, 'list'],
  ['spec', median, '`spec`, median (ms)', 'spec'],
  ['features', median, '`features`, median (ms)', 'features'],
  ['tput2', median, 'throughput, 2 concurrent lifecycles (containers/s, higher is better)', 'tput2'],
  ['tput8', median, 'throughput, 8 concurrent lifecycles (containers/s, higher is better)', 'tput8'],
  ['peakRss', median, 'peak RSS of `create` process, median (MiB)', 'peakRss'],
  ['initRss', median, 'RSS of a created (not started) init, median (MiB)', 'batch'],
  ['initPss', median, 'PSS of a created (not started) init, median (MiB)', 'batch'],
  ['memDrop', median, 'host MemAvailable drop per created container (MiB, noisy)', 'batch'],
  ['resident', median, 'runtime processes left resident after create (count)', 'batch'],
];

function fmt(x) {
  if (x === undefined || Number.isNaN(x)) return 'n/a';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function report(floor, pollAfterEof, secs) {
  const cols = variants;
  const base = variants.find((v) => v.name === 'runc');
  const ratioCols = base ? variants.filter((v) => v !== base) : [];
  const reasons = [];
  const cell = (v, key, fn, group) => {
    if (v.disabled) return 'n/a';
    const err = v.errors[group] || v.errors[key];
    if (err) {
      let n = reasons.indexOf(`${v.name} ${group}: ${err}`);
      if (n < 0) n = reasons.push(`${v.name} ${group}: ${err}`) - 1;
      return `n/a [${n + 1}]`;
    }
    const xs = v.data[key];
    return xs && xs.length ? fmt(fn(xs)) : 'n/a';
  };
  const val = (v, key, fn, group) => (v.disabled || v.errors[group] || v.errors[key] || !v.data[key]?.length ? NaN : fn(v.data[key]));

  const lines = [];
  lines.push(`## tsrun benchmark — ${new Date().toISOString()}`);
  lines.push('');
  lines.push(`- host: ${os.hostname()}, ${os.cpus().length} CPUs, kernel ${os.release()}, cgroups ${cg.mode}; node ${process.version}`);
  lines.push(`- NODE_EXTRA_CA_CERTS: **${caSet ? `set (${process.env.NODE_EXTRA_CA_CERTS})` : 'not set'}**` +
    `${opts.bothEnv ? '; tsrun measured with and without it' : caSet ? '; tsrun measured with it (use --both-env for both)' : ''}`);
  lines.push(`- Node start floor (median of \`node -e 0\`): ${fmt(floor['node -e 0'])} ms with this env, ${fmt(floor['node -e 0 (no CA env)'])} ms without NODE_EXTRA_CA_CERTS`);
  lines.push(`- iterations: ${opts.iterations} (+${opts.warmup} warm-up)${opts.quick ? ' — **--quick smoke run**' : ''}; batch ${opts.batch} containers; throughput ${opts.seconds} s per level; run took ${secs.toFixed(0)} s`);
  for (const v of variants) {
    let size = '';
    try {
      if (v.tag === 'tsrun' || v.tag.startsWith('also')) size = ` (${(fs.statSync(v.rt.bin).size / 1048576).toFixed(1)} MiB)`;
    } catch {}
    const what = v.disabled ? `n/a: ${v.disabled}` : `${v.rt.bin}${size}${v.notes.length ? ` — ${v.notes.join('; ')}` : ''}`;
    lines.push(`- ${v.name}: ${what}`);
  }
  lines.push('');
  const head = ['measure', ...cols.map((v) => v.name), ...ratioCols.map((v) => `${v.name}/runc`)];
  lines.push(`| ${head.join(' | ')} |`);
  lines.push(`|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
  for (const [key, fn, label0, group] of ROWS) {
    const label = label0 ?? `\`list\` with ${opts.batch} containers, median (ms)`;
    const row = [label, ...cols.map((v) => cell(v, key, fn, group))];
    for (const v of ratioCols) {
      const a = val(v, key, fn, group);
      const b = val(base, key, fn, group);
      row.push(key === 'resident' || !(b > 0) || Number.isNaN(a) ? 'n/a' : `${(a / b).toFixed(2)}×`);
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  lines.push('');
  if (reasons.length) {
    lines.push('n/a reasons:');
    reasons.forEach((r, i) => lines.push(`[${i + 1}] ${r}`));
    lines.push('');
  }
  const waits = variants.filter((v) => v.data['lc.wait']).map((v) => `${v.name} ${fmt(median(v.data['lc.wait']))} ms`);
  lines.push('How measured:');
  lines.push('- Wall clock from spawn() to the runtime process\'s exit, in a Node process (the bench, or for crun on a hybrid host the namespace helper), runtimes interleaved per iteration, order rotated.');
  lines.push(`- "wait" in the lifecycle is event driven: create gets a socket as stdout, which the container init inherits; its EOF is the init's exit. The --pid-file pid is then checked gone-or-zombie in /proc (waits where the init was not yet a zombie at EOF and needed re-checks, ≤2 ms spin then 1 ms polls: ${Object.entries(pollAfterEof).map(([k, x]) => `${k} ${x}`).join(', ')}). Median wait (start exit -> init exit): ${waits.join(', ') || 'n/a'}.`);
  lines.push('- Each command alone: a `sleep 100` container: create, state (status must be "created"), start, kill KILL, wait, delete. `spec` runs in an empty temp dir; `features` output must be JSON.');
  lines.push(`- list: ${opts.batch} created (not started) \`sleep 100\` containers in the runtime's --root; output must name all of them.`);
  lines.push('- Throughput: N workers each looping create/start/wait/delete for the period; containers completed / elapsed.');
  lines.push('- Peak RSS: GNU time `-f %M` around `create` = ru_maxrss from wait4 (the create process and the children it reaped; not the container init).');
  lines.push('- Created-container memory: VmRSS and Pss (smaps_rollup) of each init before start; MemAvailable drop over the batch / batch size; resident = live processes other than the inits that carry this run\'s marker env var after all creates returned.');
  lines.push('- crun on a hybrid host: all of its commands are spawned from one helper process inside `unshare -m` with /sys/fs/cgroup/unified unmounted (no per-command overhead); it therefore creates v1 cgroups only, runc also creates one in the v2 hierarchy.');
  const text = lines.join('\n');
  console.log(text);
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ opts, caSet, floor, pollAfterEof, variants: variants.map((v) => ({ name: v.name, bin: v.rt.bin, disabled: v.disabled, errors: v.errors, notes: v.notes, data: v.data })) }, null, 2));
  }
}

try {
  await main();
} catch (e) {
  if (!signalled) {
    console.error(`bench: ${e.stack || e.message}`);
    process.exitCode = 1;
  }
} finally {
  running = false;
  await cleanup();
  if (signalled) process.exit(130);
}
