// `update`: every runc 1.1 flag and --resources, checked in the cgroup files, side by side
// with Debian's runc; on a paused container (must not hang, stays paused) in the hybrid
// layout of this host, in a v1-only and in a cgroup2-only mount namespace (see
// test/helpers/cgroup-modes.ts); the stored limits agree with later updates.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNC, skipReason, Suite, type Bundle } from '../../conformance/lib/harness';
import { hostDir, modesSkipReason, okIn, readFile, rtIn, type Mode } from '../helpers/cgroup-modes';

const skip = skipReason();
if (skip) console.warn(`[update] skipped: ${skip}`);
const modesSkip = modesSkipReason();
if (modesSkip) console.warn(`[update] v1/v2 namespace cases skipped: ${modesSkip}`);
const withRunc = fs.existsSync(RUNC);
if (!withRunc) console.warn(`[update] ${RUNC} not installed: no side-by-side comparison`);

const ts = new Suite('update');
const rc = new Suite('update-runc', RUNC);
afterAll(async () => {
  await ts.cleanup();
  await rc.cleanup();
});

const ALL_FLAGS = [
  '--memory', '100m', '--memory-swap', '150m', '--memory-reservation', '50m',
  '--cpu-share', '512', '--cpu-period', '200000', '--cpu-quota', '50000',
  '--cpu-rt-period', '900000', '--cpu-rt-runtime', '1000',
  '--pids-limit', '30', '--blkio-weight', '300', '--cpuset-cpus', '0', '--cpuset-mems', '0',
];

/** The v1 files ALL_FLAGS writes, read back. */
function v1Files(b: Bundle): Record<string, string> {
  const out: Record<string, string> = {};
  const files: [string, string][] = [
    ['memory', 'memory.limit_in_bytes'], ['memory', 'memory.memsw.limit_in_bytes'], ['memory', 'memory.soft_limit_in_bytes'],
    ['cpu', 'cpu.shares'], ['cpu', 'cpu.cfs_period_us'], ['cpu', 'cpu.cfs_quota_us'], ['cpu', 'cpu.rt_period_us'], ['cpu', 'cpu.rt_runtime_us'],
    ['pids', 'pids.max'], ['cpuset', 'cpuset.cpus'], ['cpuset', 'cpuset.mems'],
  ];
  for (const [c, f] of files) {
    const d = hostDir('v1', b.cgroupsPath, c);
    if (fs.existsSync(path.join(d, f))) out[f] = readFile(d, f);
  }
  const blk = hostDir('v1', b.cgroupsPath, 'blkio');
  const wf = ['blkio.weight', 'blkio.bfq.weight'].find((f) => fs.existsSync(path.join(blk, f)));
  if (wf) out.blkioWeight = readFile(blk, wf).replace(/^default /, '');
  return out;
}

async function running(s: Suite, mode: Mode, label: string): Promise<{ id: string; b: Bundle }> {
  const b = await s.bundle(label, {
    args: ['sleep', '1000'],
    mutate: (c) => {
      if (mode === 'v2') c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'cgroup');
    },
  });
  const id = s.id(label);
  okIn(s, mode, ['run', '-d', '--bundle', b.dir, id]);
  return { id, b };
}

function stateResources(s: Suite, id: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(s.root, id, 'state.json'), 'utf8')).config.linux.resources;
}

describe.skipIf(!!skip)('update', () => {
  it('writes every flag to its cgroup file, the same values as runc', async () => {
    const results: Record<string, Record<string, string>> = {};
    for (const s of withRunc ? [ts, rc] : [ts]) {
      const { id, b } = await running(s, 'hybrid', 'all');
      okIn(s, 'hybrid', ['update', ...ALL_FLAGS, id]);
      results[s === ts ? 'tsrun' : 'runc'] = v1Files(b);
      okIn(s, 'hybrid', ['delete', '-f', id]);
    }
    expect(results.tsrun).toMatchObject({
      'memory.limit_in_bytes': String(100 * 2 ** 20),
      'memory.soft_limit_in_bytes': String(50 * 2 ** 20),
      'cpu.shares': '512',
      'cpu.cfs_period_us': '200000',
      'cpu.cfs_quota_us': '50000',
      'cpu.rt_period_us': '900000',
      'cpu.rt_runtime_us': '1000',
      'pids.max': '30',
      'cpuset.cpus': '0',
      'cpuset.mems': '0',
    });
    if (results.tsrun['memory.memsw.limit_in_bytes']) expect(results.tsrun['memory.memsw.limit_in_bytes']).toBe(String(150 * 2 ** 20));
    if (results.tsrun.blkioWeight) expect(results.tsrun.blkioWeight).toBe('300');
    if (withRunc) expect(results.tsrun).toEqual(results.runc);
  });

  it('--resources -: 0 and omitted values are unchanged; the stored config follows; -1 unlimits', async () => {
    const { id, b } = await running(ts, 'hybrid', 'res');
    const mem = hostDir('hybrid', b.cgroupsPath, 'memory');
    const pids = hostDir('hybrid', b.cgroupsPath, 'pids');
    const cpu = hostDir('hybrid', b.cgroupsPath, 'cpu');
    okIn(ts, 'hybrid', ['update', '--memory', '64m', '--pids-limit', '20', '--cpu-share', '300', id]);
    okIn(ts, 'hybrid', ['update', '-r', '-', id], { input: JSON.stringify({ memory: { limit: 0, reservation: 0 }, cpu: { shares: 0, cpus: '' }, pids: { limit: 25 } }) });
    expect(readFile(mem, 'memory.limit_in_bytes')).toBe(String(64 * 2 ** 20));
    expect(readFile(cpu, 'cpu.shares')).toBe('300');
    expect(readFile(pids, 'pids.max')).toBe('25');
    // A file works like stdin; later reads of the stored config agree with the files.
    const file = path.join(ts.tmp, 'res.json');
    fs.writeFileSync(file, JSON.stringify({ memory: { limit: 80 * 2 ** 20 } }));
    okIn(ts, 'hybrid', ['update', '--resources', file, '--pids-limit', '99', id]); // flags are ignored with -r
    expect(readFile(mem, 'memory.limit_in_bytes')).toBe(String(80 * 2 ** 20));
    expect(readFile(pids, 'pids.max')).toBe('25');
    expect(stateResources(ts, id)).toMatchObject({ memory: { limit: 80 * 2 ** 20 }, pids: { limit: 25 }, cpu: { shares: 300 } });
    okIn(ts, 'hybrid', ['update', '--memory', '-1', '--pids-limit', '-1', id]);
    expect(readFile(pids, 'pids.max')).toBe('max');
    expect(Number(readFile(mem, 'memory.limit_in_bytes'))).toBeGreaterThan(2 ** 62);
    expect(stateResources(ts, id)).toMatchObject({ memory: { limit: -1 }, pids: { limit: -1 } });
    // Device rules cannot change after create: refused, not silently skipped (runc skips them).
    const dev = rtIn(ts, 'hybrid', ['update', '-r', '-', id], { input: '{"devices":[{"allow":true,"access":"rwm"}]}' });
    expect(dev.code).toBe(1);
    expect(dev.stderr).toContain('devices cannot be updated');
    // A failed write is undone and not stored.
    const bad = rtIn(ts, 'hybrid', ['update', '--cpuset-cpus', '1000', id]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFile(hostDir('hybrid', b.cgroupsPath, 'cpuset'), 'cpuset.cpus')).not.toBe('1000');
    expect(stateResources(ts, id).cpu?.cpus).toBeUndefined();
    okIn(ts, 'hybrid', ['delete', '-f', id]);
  });

  it('rejects bad input with runc\'s wording, and stopped or unknown containers', async () => {
    const { id } = await running(ts, 'hybrid', 'bad');
    const runcId = withRunc ? (await running(rc, 'hybrid', 'bad')).id : '';
    const cases: [string[], string | RegExp, string?][] = [
      [['--memory', 'abc'], "invalid value for memory: invalid size: 'abc'"],
      [['--memory', '-2'], "invalid value for memory: invalid size: '-2'"],
      [['--cpu-period', 'x'], 'invalid value for cpu-period: strconv.ParseUint: parsing "x": invalid syntax'],
      [['--cpu-quota', '1.5'], 'invalid value for cpu-quota: strconv.ParseInt: parsing "1.5": invalid syntax'],
      [['--pids-limit', 'x'], 'invalid value "x" for flag -pids-limit: parse error'],
      [['--l3-cache-schema', 'L3:0=f'], 'Intel RDT/CAT: l3 cache schema is not enabled'],
      [['--mem-bw-schema', 'MB:0=50'], 'Intel RDT/MBA: memory bandwidth schema is not enabled'],
      [['-r', '-'], /invalid/, 'garbage'],
      [['-r', '/nonexistent/res.json'], /ENOENT|no such file/],
    ];
    for (const [flags, msg, input] of cases) {
      const r = rtIn(ts, 'hybrid', ['update', ...flags, id], { input });
      expect(r.code, flags.join(' ')).toBe(1);
      if (typeof msg === 'string') expect(r.stderr).toContain(msg);
      else expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
      if (withRunc) {
        const rr = rtIn(rc, 'hybrid', ['update', ...flags, runcId], { input });
        expect(rr.code, `runc ${flags.join(' ')}`).toBe(1);
        // logrus escapes quotes inside msg="...".
        if (typeof msg === 'string') expect(rr.stderr.replace(/\\"/g, '"')).toContain(msg);
      }
    }
    // Kernel memory: accepted and ignored with a warning, as runc 1.1.
    const km = rtIn(ts, 'hybrid', ['update', '--kernel-memory', '10m', '--kernel-memory-tcp', '1m', id]);
    expect(km.code).toBe(0);
    expect(km.stderr).toMatch(/warning.*kernel-memory/);
    expect(rtIn(ts, 'hybrid', ['update', '--kernel-memory', 'x', id]).code).toBe(1);
    const unknown = rtIn(ts, 'hybrid', ['update', '--memory', '1m', 'no-such-container']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');
    okIn(ts, 'hybrid', ['kill', id, 'KILL']);
    await ts.waitStatus(id, 'stopped');
    const stopped = rtIn(ts, 'hybrid', ['update', '--memory', '100m', id]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('container not running');
    okIn(ts, 'hybrid', ['delete', id]);
    if (withRunc) okIn(rc, 'hybrid', ['delete', '-f', runcId]);
  });

  describe.skipIf(!!modesSkip).each(['hybrid', 'v1', 'v2'] as Mode[])('on a paused container (%s)', (mode) => {
    it('updates without hanging and it stays paused', async () => {
      const { id, b } = await running(ts, mode, `paused-${mode}`);
      const layout = JSON.parse(fs.readFileSync(path.join(ts.root, id, 'state.json'), 'utf8')).cgroup.mode;
      expect(layout).toBe(mode);
      okIn(ts, mode, ['pause', id]);
      const st = () => JSON.parse(okIn(ts, mode, ['state', id]).stdout).status;
      expect(st()).toBe('paused');
      if (mode === 'v2') {
        const dir = hostDir('v2', b.cgroupsPath, 'unified');
        expect(readFile(dir, 'cgroup.freeze')).toBe('1');
        // This host's cgroup2 tree has only hugetlb (the rest is bound to v1); a pure v2 host has all.
        const r = rtIn(ts, mode, ['update', '-r', '-', id], { input: JSON.stringify({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2 ** 20 }] }), timeoutMs: 20_000 });
        expect(r.signal, 'update hung').toBeNull();
        expect(r.code, r.stderr).toBe(0);
        expect(readFile(dir, 'hugetlb.2MB.max')).toBe(String(4 * 2 ** 20));
        const p = rtIn(ts, mode, ['update', '--pids-limit', '7', '--memory', '32m', id], { timeoutMs: 20_000 });
        expect(p.signal, 'update hung').toBeNull();
        if (fs.existsSync(path.join(dir, 'pids.max'))) {
          expect(p.code, p.stderr).toBe(0);
          expect(readFile(dir, 'pids.max')).toBe('7');
          expect(readFile(dir, 'memory.max')).toBe(String(32 * 2 ** 20));
        } else {
          expect(p.code).toBe(1);
          expect(p.stderr).toMatch(/cgroup v2 controller \w+ is not available/);
        }
      } else {
        const r = rtIn(ts, mode, ['update', '--memory', '32m', '--pids-limit', '7', '--cpu-share', '256', id], { timeoutMs: 20_000 });
        expect(r.signal, 'update hung').toBeNull();
        expect(r.code, r.stderr).toBe(0);
        expect(readFile(hostDir(mode, b.cgroupsPath, 'memory'), 'memory.limit_in_bytes')).toBe(String(32 * 2 ** 20));
        expect(readFile(hostDir(mode, b.cgroupsPath, 'pids'), 'pids.max')).toBe('7');
        expect(readFile(hostDir(mode, b.cgroupsPath, 'cpu'), 'cpu.shares')).toBe('256');
        expect(readFile(hostDir(mode, b.cgroupsPath, 'freezer'), 'freezer.state')).toBe('FROZEN');
      }
      expect(st()).toBe('paused');
      okIn(ts, mode, ['resume', id]);
      expect(st()).toBe('running');
      okIn(ts, mode, ['delete', '-f', id]);
    });
  });
});
