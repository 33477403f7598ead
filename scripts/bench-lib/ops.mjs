// Measurement operations shared by scripts/bench.mjs and its mount-namespace helper
// (ns-helper.mjs). Every op takes a runtime descriptor `rt` (plain JSON, so it can be
// sent to the helper) and returns plain JSON. The same code therefore times runc, crun
// and tsrun, whichever process it runs in.
//
//   rt = { name, bin, env, root, tmp, bundleTrue, bundleSleep, mark }
//
// Timing: wall clock (process.hrtime) from just before spawn() to the child's 'exit'
// event. Runtime children are spawned detached (own session) so a Ctrl-C on the bench
// does not kill a runtime half-way; the bench then cleans up itself.
//
// "Wait for stopped": create is given a socket as stdout; without a terminal the runtime
// hands its stdio to the container init, so the socket reaches EOF the moment the
// container process exits (the kernel closes its fds in do_exit, before the zombie is
// reaped by whoever is the reaper). That is an event, not a poll. After EOF we check
// /proc/PID/stat for the pid from --pid-file (gone or Z = stopped, as runc and crun
// judge it); only if that check fails do we poll it every 1 ms (counted in `pollAfterEof`).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

let seq = 0;
let aborted = false;
export function abort() {
  aborted = true;
}
export function isAborted() {
  return aborted;
}
class Aborted extends Error {
  constructor() {
    super('aborted');
  }
}
function checkAbort() {
  if (aborted) throw new Aborted();
}

/** id -> { root, pid, start } for every container this process may have left behind. */
const registry = new Map();
export const counters = { waits: 0, pollAfterEof: 0 };

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Spawn `rt.bin --root rt.root ...args`, timed. hold: give it a socket as stdout and return `eof`. */
export function spawnTimed(rt, args, { hold = false, cwd, timeoutMs = 30000, wrap, noRoot = false } = {}) {
  const logPath = path.join(rt.tmp, `out-${process.pid}-${++seq}.log`);
  const fd = fs.openSync(logPath, 'w+');
  let argv = [rt.bin, ...(noRoot ? [] : ['--root', rt.root]), ...args];
  if (wrap) argv = [...wrap, ...argv];
  return new Promise((resolve, reject) => {
    let child;
    const t0 = nowMs();
    try {
      child = spawn(argv[0], argv.slice(1), {
        env: rt.env,
        cwd,
        detached: true,
        stdio: ['ignore', hold ? 'pipe' : fd, fd],
      });
    } catch (e) {
      fs.closeSync(fd);
      reject(e);
      return;
    }
    fs.closeSync(fd);
    let eof;
    if (hold) {
      eof = new Promise((res) => {
        child.stdout.on('end', res);
        child.stdout.on('close', res);
        child.stdout.on('error', res);
      });
      child.stdout.resume();
    }
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      if (hold) child.stdout.destroy();
      reject(new Error(`${argv[0]}: ${e.code || e.message}`));
    });
    child.on('exit', (code, signal) => {
      const ms = nowMs() - t0;
      clearTimeout(timer);
      let out = '';
      try {
        out = fs.readFileSync(logPath, 'utf8');
        fs.unlinkSync(logPath);
      } catch {}
      resolve({ ms, code, signal, out, eof, child, argv });
    });
  });
}

function fail(r, what) {
  const line = (r.out || '').trim().split('\n').filter(Boolean).slice(-1)[0] || '';
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return new Error(`${what}: ${how}${line ? `: ${line.slice(0, 200)}` : ''}`);
}

async function must(rt, args, what, opts) {
  const r = await spawnTimed(rt, args, opts);
  if (r.code !== 0) {
    if (r.child && r.child.stdout) r.child.stdout.destroy();
    throw fail(r, what);
  }
  return r;
}

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], start: rest[19] };
  } catch {
    return null;
  }
}
function isStopped(pid) {
  const st = procStat(pid);
  return !st || st.state === 'Z' || st.state === 'X';
}

function readPid(rt, id) {
  const f = path.join(rt.tmp, 'pids', `${id}.pid`);
  const pid = Number(fs.readFileSync(f, 'utf8').trim());
  fs.rmSync(f, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`pid file of ${id} holds no pid`);
  return pid;
}

/** A failed create/run that left no state dir has nothing to clean up. */
function forgetIfAbsent(rt, id) {
  if (!fs.existsSync(path.join(rt.root, id))) registry.delete(id);
}

async function createHeld(rt, id, bundle, opts = {}) {
  fs.mkdirSync(path.join(rt.tmp, 'pids'), { recursive: true });
  registry.set(id, { root: rt.root, rtName: rt.name, pid: 0, start: null });
  let r;
  try {
    r = await must(
      rt,
      ['create', '--bundle', bundle, '--pid-file', path.join(rt.tmp, 'pids', `${id}.pid`), id],
      'create',
      { hold: true, ...opts },
    );
  } catch (e) {
    forgetIfAbsent(rt, id);
    throw e;
  }
  let pid;
  try {
    pid = readPid(rt, id);
  } catch (e) {
    r.child.stdout.destroy();
    throw new Error(`create: ${e.message}`);
  }
  registry.set(id, { root: rt.root, rtName: rt.name, pid, start: procStat(pid)?.start ?? null });
  return { ms: r.ms, pid, eof: r.eof, child: r.child };
}

async function waitStopped(pid, eof, child, timeoutMs = 10000) {
  const t0 = nowMs();
  let to;
  const timedOut = await Promise.race([
    eof.then(() => false),
    new Promise((res) => (to = setTimeout(() => res(true), timeoutMs))),
  ]);
  clearTimeout(to);
  if (timedOut) {
    child.stdout.destroy();
    throw new Error(`container init ${pid} did not exit within ${timeoutMs} ms`);
  }
  counters.waits++;
  if (!isStopped(pid)) {
    // fds are closed a moment before the task turns zombie: re-check on the next
    // event-loop turns for up to 2 ms, then every 1 ms
    counters.pollAfterEof++;
    const tEof = nowMs();
    while (!isStopped(pid)) {
      if (nowMs() - t0 > timeoutMs) throw new Error(`init ${pid} closed its stdout but is still alive`);
      if (nowMs() - tEof < 2) await new Promise((r) => setImmediate(r));
      else await sleep(1);
    }
  }
  return nowMs() - t0;
}

async function del(rt, id, force = false) {
  const r = await must(rt, ['delete', ...(force ? ['-f'] : []), id], 'delete');
  registry.delete(id);
  return r.ms;
}

// ---------------------------------------------------------------- ops

/** `run --bundle B ID` of /bin/true: one runtime process for the whole lifecycle. */
export async function opRun(rt, id) {
  checkAbort();
  registry.set(id, { root: rt.root, rtName: rt.name, pid: 0, start: null });
  let r;
  try {
    r = await must(rt, ['run', '--bundle', rt.bundleTrue, id], 'run');
  } catch (e) {
    forgetIfAbsent(rt, id);
    throw e;
  }
  if (fs.existsSync(path.join(rt.root, id))) {
    await del(rt, id, true); // run without -d must remove the container itself
    return { ms: r.ms, note: 'run left its state dir behind' };
  }
  registry.delete(id);
  return { ms: r.ms };
}

/** create -> start -> wait for stopped -> delete of /bin/true (four runtime processes). */
export async function opLifecycle(rt, id) {
  checkAbort();
  const t0 = nowMs();
  const c = await createHeld(rt, id, rt.bundleTrue);
  let s;
  try {
    s = await must(rt, ['start', id], 'start');
  } catch (e) {
    c.child.stdout.destroy();
    throw e;
  }
  const w = await waitStopped(c.pid, c.eof, c.child);
  const d = await del(rt, id);
  return { ms: nowMs() - t0, create: c.ms, start: s.ms, wait: w, delete: d };
}

/** Each command alone on a `sleep 100` container: create, state, start, kill, delete. */
export async function opSeries(rt, id) {
  checkAbort();
  const c = await createHeld(rt, id, rt.bundleSleep);
  try {
    const st = await must(rt, ['state', id], 'state');
    let status;
    try {
      status = JSON.parse(st.out).status;
    } catch {
      throw new Error('state: output is not JSON');
    }
    if (status !== 'created') throw new Error(`state: status "${status}", expected "created"`);
    const s = await must(rt, ['start', id], 'start');
    const k = await must(rt, ['kill', id, 'KILL'], 'kill');
    await waitStopped(c.pid, c.eof, c.child);
    const d = await del(rt, id);
    return { create: c.ms, state: st.ms, start: s.ms, kill: k.ms, delete: d };
  } catch (e) {
    c.child.stdout.destroy();
    try {
      await del(rt, id, true);
    } catch {}
    throw e;
  }
}

/** `spec` in an empty temp dir. */
export async function opSpec(rt) {
  checkAbort();
  const dir = fs.mkdtempSync(path.join(rt.tmp, 'spec-'));
  try {
    const r = await must(rt, ['spec'], 'spec', { cwd: dir, noRoot: true });
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error('spec: wrote no config.json');
    return { ms: r.ms };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function opFeatures(rt) {
  checkAbort();
  const r = await must(rt, ['features'], 'features', { noRoot: true });
  try {
    JSON.parse(r.out);
  } catch {
    throw new Error('features: output is not JSON');
  }
  return { ms: r.ms };
}

/** `list` with the batch present; checks that all `expect` ids are listed. */
export async function opList(rt, prefix, expect) {
  checkAbort();
  const r = await must(rt, ['list'], 'list');
  const n = r.out.split('\n').filter((l) => l.includes(prefix)).length;
  if (n < expect) throw new Error(`list: shows ${n} of ${expect} containers`);
  return { ms: r.ms };
}

/** Peak RSS of the create process, from wait4() rusage via GNU time %M (KiB). */
export async function opPeakRss(rt, id) {
  checkAbort();
  const out = path.join(rt.tmp, `time-${process.pid}-${++seq}.txt`);
  fs.mkdirSync(path.join(rt.tmp, 'pids'), { recursive: true });
  registry.set(id, { root: rt.root, rtName: rt.name, pid: 0, start: null });
  try {
    const r = await spawnTimed(rt, ['create', '--bundle', rt.bundleTrue, id], {
      wrap: ['/usr/bin/time', '-f', '%M', '-o', out],
    });
    if (r.code !== 0) {
      forgetIfAbsent(rt, id);
      throw fail(r, 'create under /usr/bin/time');
    }
    const kb = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kb)) throw new Error('GNU time gave no %M');
    return { kb };
  } finally {
    fs.rmSync(out, { force: true });
    if (registry.has(id)) {
      try {
        await del(rt, id, true);
      } catch {}
    }
  }
}

function envHasMark(pid, mark) {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(mark);
  } catch {
    return false;
  }
}
/** Pids of live processes whose environment carries this bench run's marker. */
export function markedPids(mark) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = procStat(e);
    if (!st || st.state === 'Z') continue;
    if (envHasMark(e, mark)) out.push(Number(e));
  }
  return out;
}
function memAvailableKb() {
  const m = /MemAvailable:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : NaN;
}
function statusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** Create n `sleep 100` containers (not started), `conc` at a time; measure what stays resident. */
export async function opCreateMany(rt, prefix, n, conc = 2) {
  const memBefore = memAvailableKb();
  const pids = [];
  let next = 0;
  const stop = { failed: false };
  const worker = async () => {
    while (next < n && !stop.failed) {
      checkAbort();
      const id = `${prefix}${String(next++).padStart(3, '0')}`;
      const c = await createHeld(rt, id, rt.bundleSleep);
      c.child.stdout.destroy(); // the init keeps its end; we do not wait on these
      pids.push(c.pid);
    }
  };
  await workers(conc, worker, stop);
  await sleep(200);
  const memAfter = memAvailableKb();
  const rss = pids.map((p) => statusKb(p, 'VmRSS'));
  const pss = pids.map(pssKb);
  const initSet = new Set(pids);
  const resident = markedPids(rt.mark).filter((p) => !initSet.has(p));
  const residentDesc = resident.slice(0, 5).map((p) => {
    try {
      return `${p}:${fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 80)}`;
    } catch {
      return String(p);
    }
  });
  return { n: pids.length, rssKb: rss, pssKb: pss, memDropKb: memBefore - memAfter, resident: resident.length, residentDesc };
}

export async function opDeleteMany(rt, prefix) {
  const ids = [...registry.keys()].filter((id) => id.startsWith(prefix) && registry.get(id).root === rt.root);
  const errs = [];
  for (const id of ids) {
    try {
      await del(rt, id, true);
    } catch (e) {
      errs.push(`${id}: ${e.message}`);
    }
  }
  return { deleted: ids.length - errs.length, errors: errs.slice(0, 3) };
}

/** Run `conc` copies of `fn`; the first failure stops the others, all are awaited, then it is thrown. */
async function workers(conc, fn, stop) {
  const res = await Promise.allSettled(
    Array.from({ length: conc }, () =>
      fn().catch((e) => {
        stop.failed = true;
        throw e;
      }),
    ),
  );
  const bad = res.find((r) => r.status === 'rejected');
  if (bad) throw bad.reason;
}

/** `conc` workers loop create/start/wait/delete for `seconds`; containers completed per second. */
export async function opThroughput(rt, prefix, conc, seconds) {
  let count = 0;
  let n = 0;
  const t0 = nowMs();
  const deadline = t0 + seconds * 1000;
  const stop = { failed: false };
  const worker = async () => {
    while (nowMs() < deadline && !stop.failed) {
      checkAbort();
      await opLifecycle(rt, `${prefix}${n++}`);
      count++;
    }
  };
  await workers(conc, worker, stop);
  const elapsed = (nowMs() - t0) / 1000;
  return { count, elapsed, rate: count / elapsed };
}

/** Remove everything this process created under rt.root (all rts when rt is null). */
export async function opCleanup(rts) {
  const report = [];
  for (const rt of rts) {
    const ids = new Set([...registry.keys()].filter((id) => registry.get(id).root === rt.root));
    try {
      for (const e of fs.readdirSync(rt.root)) if (fs.statSync(path.join(rt.root, e)).isDirectory()) ids.add(e);
    } catch {}
    for (const id of ids) {
      try {
        await del(rt, id, true);
      } catch (e) {
        report.push(`${rt.name} ${id}: ${e.message}`);
      }
    }
    // Anything still alive that we started: registered inits (same start time) and
    // processes carrying the run's marker (runtime processes, inits before exec).
    for (const id of ids) {
      const r = registry.get(id);
      if (r && r.pid && r.start && procStat(r.pid)?.start === r.start && !isStopped(r.pid)) {
        try {
          process.kill(r.pid, 'SIGKILL');
          report.push(`${rt.name} ${id}: killed leftover init ${r.pid}`);
        } catch {}
      }
      registry.delete(id);
    }
    for (const p of markedPids(rt.mark)) {
      try {
        process.kill(p, 'SIGKILL');
        report.push(`${rt.name}: killed leftover runtime process ${p}`);
      } catch {}
    }
    fs.rmSync(rt.root, { recursive: true, force: true });
  }
  return { report };
}

export const ops = {
  run: opRun,
  lifecycle: opLifecycle,
  series: opSeries,
  spec: opSpec,
  features: opFeatures,
  list: opList,
  peakRss: opPeakRss,
  createMany: opCreateMany,
  deleteMany: opDeleteMany,
  throughput: opThroughput,
  cleanup: opCleanup,
  counters: async () => ({ ...counters }),
  abort: async () => {
    abort();
    return {};
  },
};
