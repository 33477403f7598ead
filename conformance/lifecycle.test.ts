// runtime.md "Lifecycle": the whole create -> start -> exit -> delete sequence as a caller sees it,
// plus the runc CLI's `run` (create + start + wait + delete) that shells and tests rely on.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, cgroupDirs, pidAlive, Suite, waitFor } from './lib/harness';

const skip = announceSkip(__filename);

describe.skipIf(!!skip)('lifecycle', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('lifecycle');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // Lifecycle steps 1-12 in order, checking the state after each operation.
  it('create, start, exit, delete: state follows each step and nothing remains', async () => {
    const b = await s.bundle('seq', { args: ['sh', '-c', 'echo started > /m/out; while [ ! -e /m/go ]; do sleep 0.05; done'] });
    const id = s.id('seq');
    const out = path.join(b.host, 'out');

    s.create(id, b); // steps 1-2: environment created, program not run
    const created = s.state(id);
    expect(created.status).toBe('created');
    expect(pidAlive(created.pid!)).toBe(true);
    expect(cgroupDirs(b.cgroupsPath).length).toBeGreaterThan(0);
    expect(fs.existsSync(out)).toBe(false);

    s.start(id); // steps 6-8: program runs in the same container process
    expect(await waitFor(() => fs.existsSync(out))).toBe(true);
    const running = s.state(id);
    expect(running.status).toBe('running');
    expect(running.pid).toBe(created.pid);

    fs.writeFileSync(path.join(b.host, 'go'), ''); // step 10: the process exits
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');

    s.ok(['delete', id]); // steps 11-12: destroyed
    expect(s.leftovers(id, b)).toEqual([]);
    expect(await waitFor(() => !pidAlive(created.pid!))).toBe(true);
  });

  // Lifecycle step 10: the process may stop through kill; the container is then stopped and deletable.
  it('kill -> stopped -> delete', async () => {
    const b = await s.bundle('killed', { args: ['sleep', '100'] });
    const id = s.id('killed');
    s.create(id, b);
    s.start(id);
    s.ok(['kill', id, 'SIGKILL']);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    s.ok(['delete', id]);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  // runc CLI `run` (not a spec operation): stdout of the program comes through, the exit code of
  // the program is the runtime's, and the container is deleted afterwards.
  it('run: passes stdout through, returns the exit code, removes the container', async () => {
    const b = await s.bundle('run', { args: ['sh', '-c', 'echo hello-from-container; hostname; exit 7'] });
    const id = s.id('run');
    const r = s.rt(['run', '--bundle', b.dir, id]);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['hello-from-container', 'tsrun']);
    expect(r.code).toBe(7);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  // Scope of a container: containers are independent; operations on one leave another alone.
  it('two containers are independent', async () => {
    const b1 = await s.bundle('one', { args: ['sleep', '100'] });
    const b2 = await s.bundle('two', { args: ['sleep', '100'] });
    const id1 = s.id('one');
    const id2 = s.id('two');
    s.create(id1, b1);
    s.create(id2, b2);
    s.start(id1);
    expect(s.state(id1).status).toBe('running');
    expect(s.state(id2).status).toBe('created');
    s.ok(['kill', id1, 'SIGKILL']);
    expect((await s.waitStatus(id1, 'stopped'))?.status).toBe('stopped');
    s.ok(['delete', id1]);
    expect(s.state(id2).status).toBe('created');
    expect(pidAlive(s.state(id2).pid!)).toBe(true);
  });
});
