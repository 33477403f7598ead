// `events`: runc's JSON shapes, side by side with Debian's runc: `--stats` prints one stats
// event and exits; the stream prints stats every --interval and an "oom" event when the
// memory-limited container's allocation hits its limit (v1: eventfd on memory.oom_control),
// and ends by itself once the container is deleted (v1: the stopped container's cgroup is
// there until then) or stops (v2). Also in a cgroup2-only mount namespace.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNC, skipReason, Suite, waitFor, type Bundle } from '../../conformance/lib/harness';
import { commandIn, modesSkipReason, okIn, type Mode } from '../helpers/cgroup-modes';

const skip = skipReason();
if (skip) console.warn(`[events] skipped: ${skip}`);
const modesSkip = modesSkipReason();
if (modesSkip) console.warn(`[events] v2 namespace case skipped: ${modesSkip}`);
const withRunc = fs.existsSync(RUNC);
if (!withRunc) console.warn(`[events] ${RUNC} not installed: no side-by-side comparison`);

const ts = new Suite('events');
const rc = new Suite('events-runc', RUNC);
afterAll(async () => {
  await ts.cleanup();
  await rc.cleanup();
});

const LIMIT = 32 * 2 ** 20;

/** A container that waits for /m/go, then writes 64 MiB into its 32 MiB-limited memory. */
async function oomBundle(s: Suite, mode: Mode = 'hybrid'): Promise<Bundle> {
  return s.bundle('oom', {
    args: ['sh', '-c', 'while [ ! -e /m/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/shm/f bs=1M count=64; sleep 1'],
    mutate: (c) => {
      c.linux.resources.memory = { limit: LIMIT };
      if (mode === 'v2') c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'cgroup');
    },
  });
}

interface Stream {
  lines: () => Record<string, any>[];
  exited: Promise<number | null>;
  kill: () => void;
}

/** Start `<runtime> events ...` and collect its JSON lines. */
function stream(s: Suite, args: string[], mode: Mode = 'hybrid'): Stream {
  const [cmd, argv] = commandIn(s, mode, ['events', ...args]);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', () => {});
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    lines: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

/** Key paths of an object, for comparing shapes (numbers differ between runs). */
function shape(o: unknown, prefix = ''): string[] {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => (k === 'raw' ? [`${prefix}.raw`] : shape(v, `${prefix}.${k}`)));
}

describe.skipIf(!!skip)('events', () => {
  it('--stats: one stats event with runc\'s fields and the container\'s numbers', async () => {
    const got: Record<string, any> = {};
    for (const s of withRunc ? [ts, rc] : [ts]) {
      const b = await oomBundle(s);
      const id = s.id('stats');
      s.ok(['run', '-d', '--bundle', b.dir, id]);
      const r = s.ok(['events', '--stats', id]);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const ev = JSON.parse(lines[0]);
      expect(ev).toMatchObject({ type: 'stats', id });
      expect(ev.data.memory.usage.limit).toBe(LIMIT);
      expect(ev.data.memory.usage.usage).toBeGreaterThan(0);
      expect(ev.data.pids.current).toBeGreaterThanOrEqual(1);
      expect(ev.data.cpu.usage.total).toBeGreaterThan(0);
      expect(ev.data.memory.raw.total_rss).toBeGreaterThanOrEqual(0);
      got[s === ts ? 'tsrun' : 'runc'] = ev;
      s.ok(['delete', '-f', id]);
    }
    if (withRunc) {
      // Same fields (runc's throttling and blkio entries depend on activity: compare the rest).
      const norm = (e: unknown) => shape(e).filter((k) => !/\.(throttling|blkio)\./.test(k)).sort();
      expect(norm(got.tsrun)).toEqual(norm(got.runc));
    }
  });

  it('streams stats every interval, reports the OOM kill, goes on while the container is stopped (v1, as runc) and ends when it is deleted', async () => {
    const b = await oomBundle(ts);
    const id = ts.id('stream');
    ts.ok(['run', '-d', '--bundle', b.dir, id]);
    const ev = stream(ts, ['--interval', '300ms', id]);
    let ended: unknown;
    void ev.exited.then((c) => (ended = c));
    try {
      expect(await waitFor(() => ev.lines().filter((e) => e.type === 'stats').length >= 2, 10_000)).toBe(true);
      fs.writeFileSync(path.join(b.host, 'go'), '');
      await ts.waitStatus(id, 'stopped', 20_000);
      expect(await waitFor(() => ev.lines().some((e) => e.type === 'oom'), 15_000)).toBe(true);
      const lines = ev.lines();
      expect(lines.filter((e) => e.type === 'oom')[0]).toEqual({ type: 'oom', id }); // no data field
      // Stopped: still stats of the (empty) cgroup, every interval, until delete.
      const n = lines.length;
      expect(await waitFor(() => ended !== undefined || ev.lines().length >= n + 2, 20_000)).toBe(true);
      expect(ended, 'events ended before the container was deleted').toBeUndefined();
      // A new `events` refuses the stopped container (runc's error).
      const r = ts.rt(['events', '--stats', id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`container with id ${id} is not running`);
      ts.ok(['delete', id]);
      const code = await Promise.race([ev.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      expect(code, 'events did not end after the container was deleted').toBe(0);
    } finally {
      ev.kill();
    }
  });

  it.skipIf(!withRunc)('runc reports the same oom event line', async () => {
    const b = await oomBundle(rc);
    const id = rc.id('stream');
    rc.ok(['run', '-d', '--bundle', b.dir, id]);
    const ev = stream(rc, ['--interval', '300ms', id]);
    try {
      expect(await waitFor(() => ev.lines().length >= 1, 10_000)).toBeTruthy();
      fs.writeFileSync(path.join(b.host, 'go'), '');
      expect(await waitFor(() => ev.lines().some((e) => e.type === 'oom'), 15_000)).toBe(true);
      expect(ev.lines().find((e) => e.type === 'oom')).toEqual({ type: 'oom', id });
    } finally {
      ev.kill();
    }
    await rc.waitStatus(id, 'stopped');
    const r = rc.rt(['events', '--stats', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`container with id ${id} is not running`);
    rc.ok(['delete', id]);
  });

  it('bad input: unknown container, malformed or zero interval', () => {
    for (const s of withRunc ? [ts, rc] : [ts]) {
      const unknown = s.rt(['events', '--stats', 'no-such-container']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('does not exist');
      const bad = s.rt(['events', '--interval', 'abc', 'x']);
      expect(bad.code).toBe(1);
      expect(bad.stderr.replace(/\\"/g, '"')).toContain('invalid value "abc" for flag -interval'); // logrus escapes quotes
    }
    const zero = ts.rt(['events', '--interval', '0s', 'x']);
    expect(zero.code).toBe(1);
  });

  it.skipIf(!!modesSkip)('cgroup v2 (private cgroup2 mount): stats from the unified files; the stream ends with the container', async () => {
    const mode: Mode = 'v2';
    const b = await ts.bundle('v2', {
      args: ['sh', '-c', 'while [ ! -e /m/go ]; do sleep 0.05; done'],
      mutate: (c) => (c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'cgroup')),
    });
    const id = ts.id('v2');
    okIn(ts, mode, ['run', '-d', '--bundle', b.dir, id]);
    const st = JSON.parse(okIn(ts, mode, ['events', '--stats', id]).stdout);
    expect(st).toMatchObject({ type: 'stats', id });
    expect(st.data.cpu.usage.total).toBeGreaterThan(0);
    expect(Object.keys(st.data).sort()).toEqual(['blkio', 'cpu', 'cpuset', 'hugetlb', 'intel_rdt', 'memory', 'network_interfaces', 'pids']);
    if (fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB')) expect(st.data.hugetlb['2MB']).toMatchObject({ failcnt: 0 });
    // The stream runs in the namespace too: it streams while the container runs, ends when it stops.
    const ev = stream(ts, ['--interval', '200ms', id], mode);
    try {
      expect(await waitFor(() => ev.lines().filter((e) => e.type === 'stats').length >= 2, 10_000)).toBe(true);
      fs.writeFileSync(path.join(b.host, 'go'), '');
      const code = await Promise.race([ev.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      expect(code, 'events did not end after the container stopped').toBe(0);
    } finally {
      ev.kill();
    }
    okIn(ts, mode, ['delete', id]);
  });
});
