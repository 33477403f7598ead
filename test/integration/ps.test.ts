// `ps`: the container's pids as json (containerd's shim reads `ps --format json`) and host
// ps(1) rows filtered to them, run side by side with Debian's runc when it is installed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNC, skipReason, Suite, waitFor, cgroupDirs } from '../../conformance/lib/harness';

const skip = skipReason();
if (skip) console.warn(`[ps] skipped: ${skip}`);
const withRunc = fs.existsSync(RUNC);
if (!withRunc) console.warn(`[ps] ${RUNC} not installed: checking tsrun alone`);

const suites = [new Suite('ps'), ...(withRunc ? [new Suite('ps-runc', RUNC)] : [])];
afterAll(async () => {
  for (const s of suites) await s.cleanup();
});

/** The pids the kernel lists for the container's cgroup (the pids controller's dir). */
function cgroupPids(cgroupsPath: string): number[] {
  const dir = cgroupDirs(cgroupsPath).find((d) => fs.existsSync(path.join(d, 'cgroup.procs')))!;
  return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
}

describe.skipIf(!!skip).each(suites.map((s) => [s.bin.includes('runc') ? 'runc' : 'tsrun', s] as const))('ps (%s)', (_name, s) => {
  it('lists the pids of a created, running and stopped container, json and table', async () => {
    const b = await s.bundle('ps', { args: ['sh', '-c', 'sleep 1000 & exec sleep 999'] });
    const id = s.id('ps');
    s.create(id, b);
    const init = s.state(id).pid!;
    // Created: only the init.
    expect(s.ok(['ps', '--format', 'json', id]).stdout).toBe(`[${init}]\n`);
    s.start(id);
    const two = await waitFor(() => (cgroupPids(b.cgroupsPath).length === 2 ? cgroupPids(b.cgroupsPath) : undefined));
    expect(two).toBeDefined();
    expect(JSON.parse(s.ok(['ps', '-f', 'json', id]).stdout)).toEqual(two);

    // Table: ps -ef's header, then exactly the container's rows.
    const table = s.ok(['ps', id]).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(table.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort((a, b) => a - b)).toEqual(two);
    expect(table.slice(1).every((l) => /sleep (1000|999)$/.test(l))).toBe(true);
    // ps options after the id go to ps(1).
    const custom = s.ok(['ps', id, '-o', 'pid,comm']).stdout.trimEnd().split('\n');
    expect(custom[0].trim().split(/\s+/)).toEqual(['PID', 'COMMAND']);
    expect(custom.slice(1).map((l) => l.trim())).toEqual(two!.map((p) => `${p} sleep`));

    // No PID column, ps failing: exit 1 with the reason.
    const noPid = s.rt(['ps', id, '-o', 'comm']);
    expect(noPid.code).toBe(1);
    expect(noPid.stderr).toContain("couldn't find PID field in ps output");
    const badPs = s.rt(['ps', id, '-o', 'pid,nonsense']);
    expect(badPs.code).toBe(1);
    expect(badPs.stderr).toMatch(/exit status 1: error: unknown user-defined format specifier/);

    // Stopped (not deleted): no rows, json null, exit 0 (runc's behaviour).
    s.ok(['kill', '--all', id, 'KILL']);
    await s.waitStatus(id, 'stopped');
    await waitFor(() => cgroupPids(b.cgroupsPath).length === 0);
    expect(s.ok(['ps', '-f', 'json', id]).stdout).toBe('null\n');
    expect(s.ok(['ps', id]).stdout.trimEnd().split('\n')).toHaveLength(1);
    s.ok(['delete', id]);
  });

  it('refuses an unknown container and a bad format', () => {
    const r = s.rt(['ps', 'no-such-container']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/container( "no-such-container")? does not exist/);
    expect(s.rt(['ps', '-f', 'json', 'no-such-container']).code).toBe(1);
    const bad = s.rt(['ps', '-f', 'xml', 'x']);
    expect(bad.code).toBe(1);
    expect(s.rt(['ps']).code).toBe(1);
  });
});
