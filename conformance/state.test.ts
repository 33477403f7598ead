// runtime.md "State" and "Query State": the fields a state query returns at each status.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, pidAlive, Suite } from './lib/harness';

const skip = announceSkip(__filename);

describe.skipIf(!!skip)('state', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('state');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // State: ociVersion, id, status, bundle are required; pid is required while created or running;
  // annotations carry the config's annotations.
  it('reports ociVersion, id, status, pid, bundle and annotations after create', async () => {
    const b = await s.bundle('fields', {
      args: ['sleep', '100'],
      mutate: (c) => {
        c.annotations = { 'org.tsrun.conformance': 'yes', 'org.tsrun.other': '42' };
      },
    });
    const id = s.id('fields');
    s.create(id, b);
    const st = s.state(id);
    expect(typeof st.ociVersion).toBe('string');
    expect(st.ociVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(st.id).toBe(id);
    expect(st.status).toBe('created');
    expect(Number.isInteger(st.pid)).toBe(true);
    expect(st.pid).toBeGreaterThan(0);
    expect(st.bundle).toBe(fs.realpathSync(b.dir));
    expect(st.annotations).toEqual({ 'org.tsrun.conformance': 'yes', 'org.tsrun.other': '42' });
  });

  // State pid: the container process as seen from the runtime's (host) pid namespace.
  it('pid is the host pid of the container process, in another pid namespace', async () => {
    const b = await s.bundle('pid', { args: ['sleep', '100'] });
    const id = s.id('pid');
    s.create(id, b);
    s.start(id);
    const st = s.state(id);
    expect(st.status).toBe('running');
    const pid = st.pid!;
    expect(pidAlive(pid)).toBe(true);
    expect(fs.readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(fs.readlinkSync('/proc/self/ns/pid'));
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('sleep');
  });

  // State bundle: an absolute path, even when create was given a relative one.
  it('bundle is absolute when create was given a relative path', async () => {
    const b = await s.bundle('relative', { args: ['sleep', '100'] });
    const id = s.id('relative');
    s.create(id, path.basename(b.dir), { cwd: path.dirname(b.dir) });
    const st = s.state(id);
    expect(path.isAbsolute(st.bundle)).toBe(true);
    expect(fs.realpathSync(st.bundle)).toBe(fs.realpathSync(b.dir));
  });

  // Annotations: with none in the config the field is absent or an empty map.
  it('annotations are absent or empty when the config has none', async () => {
    const b = await s.bundle('noann', { args: ['sleep', '100'] });
    const id = s.id('noann');
    s.create(id, b);
    const st = s.state(id);
    if (st.annotations !== undefined) expect(st.annotations).toEqual({});
  });

  // Status values over the lifecycle: created, running, then stopped once the process exits.
  it('status moves created -> running -> stopped', async () => {
    const b = await s.bundle('status', { args: ['sh', '-c', 'while [ ! -e /m/go ]; do sleep 0.05; done'] });
    const id = s.id('status');
    s.create(id, b);
    expect(s.state(id).status).toBe('created');
    s.start(id);
    expect(s.state(id).status).toBe('running');
    fs.writeFileSync(path.join(b.host, 'go'), '');
    const st = await s.waitStatus(id, 'stopped');
    expect(st?.status).toBe('stopped');
    expect(st?.id).toBe(id);
    expect(fs.realpathSync(st!.bundle)).toBe(fs.realpathSync(b.dir));
  });

  // Query State: querying a container that does not exist is an error.
  it('errors for a container that does not exist', () => {
    const r = s.rt(['state', 'conf-no-such-container']);
    expect(r.code).not.toBe(0);
  });

  // Query State: the operation needs a container id.
  it('errors when no id is given', () => {
    expect(s.rt(['state']).code).not.toBe(0);
  });
});
