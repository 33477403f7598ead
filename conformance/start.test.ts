// runtime.md "Start" and lifecycle steps 6-8: start runs process.args, only on a created container.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, pidAlive, sleep, Suite, waitFor } from './lib/harness';

const skip = announceSkip(__filename);

const lines = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

describe.skipIf(!!skip)('start', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('start');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // Start: runs the user program as given in process (args, env, cwd); afterwards status is running.
  it('runs process.args with process.env and process.cwd', async () => {
    const b = await s.bundle('runs', {
      args: ['sh', '-c', 'echo "$CONF_VAR $(pwd) $0 $1" > /m/out; sleep 100', 'arg0', 'arg1'],
      mutate: (c) => {
        c.process.env.push('CONF_VAR=hello');
        c.process.cwd = '/tmp';
      },
    });
    const id = s.id('runs');
    s.create(id, b);
    s.start(id);
    const out = path.join(b.host, 'out');
    expect(await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').trim())).toBe('hello /tmp arg0 arg1');
    expect(s.state(id).status).toBe('running');
  });

  // Start: on a running container it errors and has no effect (same process, program not re-run).
  it('errors on a running container and leaves it running', async () => {
    const b = await s.bundle('running', { args: ['sh', '-c', 'echo x >> /m/runs; sleep 100'] });
    const id = s.id('running');
    s.create(id, b);
    s.start(id);
    const runs = path.join(b.host, 'runs');
    await waitFor(() => lines(runs).length > 0);
    const pid = s.state(id).pid!;
    expect(s.rt(['start', id]).code).not.toBe(0);
    await sleep(300);
    const st = s.state(id);
    expect(st.status).toBe('running');
    expect(st.pid).toBe(pid);
    expect(pidAlive(pid)).toBe(true);
    expect(lines(runs)).toHaveLength(1);
  });

  // Start: on a stopped container it errors and has no effect (still stopped, program not re-run).
  it('errors on a stopped container and leaves it stopped', async () => {
    const b = await s.bundle('stopped', { args: ['sh', '-c', 'echo x >> /m/runs'] });
    const id = s.id('stopped');
    s.create(id, b);
    s.start(id);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    expect(s.rt(['start', id]).code).not.toBe(0);
    await sleep(300);
    expect(s.state(id).status).toBe('stopped');
    expect(lines(path.join(b.host, 'runs'))).toHaveLength(1);
  });

  // Start: a container that does not exist, or no id at all, is an error.
  it('errors for an unknown container and without an id', () => {
    expect(s.rt(['start', 'conf-no-such-container']).code).not.toBe(0);
    expect(s.rt(['start']).code).not.toBe(0);
  });

  // Start: it must error when the config has no process (create may already refuse it).
  it('errors when the config has no process', async () => {
    const b = await s.bundle('noproc', {
      mutate: (c) => {
        delete c.process;
      },
    });
    const id = s.id('noproc');
    const created = s.rt(['create', '--bundle', b.dir, id]).code === 0;
    if (created) expect(s.rt(['start', id]).code).not.toBe(0);
    else expect(s.leftovers(id, b)).toEqual([]);
  });
});
