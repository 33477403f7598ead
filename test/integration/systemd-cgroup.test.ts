// The systemd cgroup driver on a host booted with systemd (the v2host guest tier runs this;
// it skips elsewhere): `--systemd-cgroup` with cgroupsPath "slice:prefix:name" makes a
// transient scope that systemd knows, with Delegate=yes, the init in it and the limits as
// unit properties (they survive a daemon-reload, which re-applies unit properties to the
// files), exec joins it, delete stops and removes it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, skipReason, Suite, waitFor } from '../../conformance/lib/harness';

const CG = '/sys/fs/cgroup';
function why(): string | undefined {
  const base = skipReason();
  if (base) return base;
  if (!fs.existsSync('/run/systemd/system')) return 'the host was not booted with systemd';
  if (!fs.existsSync(path.join(CG, 'cgroup.subtree_control'))) return 'host is not pure cgroup v2';
  if (spawnSync('busctl', ['--version']).status !== 0) return 'no busctl';
  return undefined;
}
const skip = why();
if (skip) console.warn(`[systemd cgroup] skipped: ${skip}`);

const s = new Suite('sdcg');
afterAll(() => s.cleanup());
const MiB = 1024 * 1024;

function show(unit: string, props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.map((p) => `-p${p}`)], { encoding: 'utf8', timeout: 60_000 });
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe.skipIf(!!skip)('--systemd-cgroup on a systemd host', () => {
  it('creates a transient scope with Delegate=yes and the limits; exec joins it; delete removes it', async () => {
    const name = `sd${process.pid}`;
    const unit = `tsrun-${name}.scope`;
    const b = await s.bundle('sd', {
      args: ['sleep', '300'],
      mutate: (c: Config) => {
        c.linux.cgroupsPath = `system.slice:tsrun:${name}`;
        c.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 40 }, cpu: { shares: 1024, quota: 50_000, period: 100_000 } };
      },
    });
    const id = s.id('sd');
    s.ok(['--systemd-cgroup', 'create', '--bundle', b.dir, id]);
    const pid = s.state(id).pid!;
    const p = show(unit, ['LoadState', 'ActiveState', 'Delegate', 'ControlGroup', 'MemoryMax', 'TasksMax', 'CPUQuotaPerSecUSec', 'CPUWeight', 'Slice']);
    expect(p).toMatchObject({
      LoadState: 'loaded', ActiveState: 'active', Delegate: 'yes', Slice: 'system.slice',
      ControlGroup: `/system.slice/${unit}`, MemoryMax: String(64 * MiB), TasksMax: '40', CPUQuotaPerSecUSec: '500ms',
    });
    const st = spawnSync('systemctl', ['status', '--no-pager', unit], { encoding: 'utf8', timeout: 60_000 });
    expect(st.status, st.stdout + st.stderr).toBe(0);
    expect(st.stdout).toContain(String(pid));
    const dir = path.join(CG, 'system.slice', unit);
    const files = () => ({ mem: fs.readFileSync(path.join(dir, 'memory.max'), 'utf8').trim(), pids: fs.readFileSync(path.join(dir, 'pids.max'), 'utf8').trim(), cpu: fs.readFileSync(path.join(dir, 'cpu.max'), 'utf8').trim() });
    expect(files()).toEqual({ mem: String(64 * MiB), pids: '40', cpu: '50000 100000' });
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/system.slice/${unit}\n`);
    // systemd re-applies its unit properties to the cgroup files: the limits must be those.
    expect(spawnSync('systemctl', ['daemon-reload'], { timeout: 120_000 }).status).toBe(0);
    expect(files()).toEqual({ mem: String(64 * MiB), pids: '40', cpu: '50000 100000' });

    s.start(id);
    const pidFile = path.join(s.tmp, 'sd-exec.pid');
    s.ok(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '200']);
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(fs.readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(`0::/system.slice/${unit}\n`);

    // update: systemd learns the new limits too (they survive its next re-apply).
    s.ok(['update', '--memory', String(96 * MiB), '--pids-limit', '30', id]);
    expect(show(unit, ['MemoryMax', 'TasksMax'])).toEqual({ MemoryMax: String(96 * MiB), TasksMax: '30' });
    expect(spawnSync('systemctl', ['daemon-reload'], { timeout: 120_000 }).status).toBe(0);
    expect(files()).toMatchObject({ mem: String(96 * MiB), pids: '30' });

    s.ok(['delete', '--force', id]);
    await waitFor(() => show(unit, ['LoadState']).LoadState === 'not-found', 30_000, 200);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('an existing unit name is refused with one line; nothing is left of the second container', async () => {
    const name = `dup${process.pid}`;
    const mk = async (label: string) => s.bundle(label, { args: ['sleep', '300'], mutate: (c: Config) => (c.linux.cgroupsPath = `system.slice:tsrun:${name}`) });
    const b1 = await mk('d1');
    const b2 = await mk('d2');
    const id1 = s.id('d1');
    const id2 = s.id('d2');
    s.ok(['--systemd-cgroup', 'create', '--bundle', b1.dir, id1]);
    const r = s.rt(['--systemd-cgroup', 'create', '--bundle', b2.dir, id2]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/tsrun-dup\d+\.scope.*(exists|already)/);
    expect(fs.existsSync(s.stateDir(id2))).toBe(false);
    // The first container's scope is untouched.
    expect(show(`tsrun-${name}.scope`, ['ActiveState']).ActiveState).toBe('active');
    s.ok(['delete', '--force', id1]);
  });
});
