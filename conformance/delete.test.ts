// runtime.md "Delete" and lifecycle step 12: only stopped containers; everything create made goes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, cgroupDirs, cgroupHierarchies, pidAlive, sleep, Suite, waitFor } from './lib/harness';

const skip = announceSkip(__filename);

describe.skipIf(!!skip)('delete', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('delete');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // Delete: a running container is not stopped, so delete errors and has no effect.
  it('errors on a running container and leaves it running', async () => {
    const b = await s.bundle('running', { args: ['sleep', '100'] });
    const id = s.id('running');
    s.create(id, b);
    s.start(id);
    const pid = s.state(id).pid!;
    expect(s.rt(['delete', id]).code).not.toBe(0);
    await sleep(200);
    const st = s.state(id);
    expect(st.status).toBe('running');
    expect(st.pid).toBe(pid);
    expect(pidAlive(pid)).toBe(true);
    expect(cgroupDirs(b.cgroupsPath).length).toBeGreaterThan(0);
  });

  // Delete: a created container is not stopped either, so delete errors and has no effect.
  it('errors on a created container and leaves it created', async () => {
    const b = await s.bundle('created', { args: ['sleep', '100'] });
    const id = s.id('created');
    s.create(id, b);
    const pid = s.state(id).pid!;
    expect(s.rt(['delete', id]).code).not.toBe(0);
    await sleep(200);
    const st = s.tryState(id);
    expect(st?.status).toBe('created');
    expect(st?.pid).toBe(pid);
    expect(pidAlive(pid)).toBe(true);
  });

  // Delete: on a stopped container it removes what create made: the id is unknown afterwards,
  // no state dir, no cgroup, no process.
  it('removes the state, the state dir, the cgroups and the process of a stopped container', async () => {
    const b = await s.bundle('stopped', { args: ['sh', '-c', 'while [ ! -e /m/go ]; do sleep 0.05; done'] });
    const id = s.id('stopped');
    s.create(id, b);
    s.start(id);
    const pid = s.state(id).pid!;
    expect(fs.existsSync(s.stateDir(id))).toBe(true);
    expect(cgroupDirs(b.cgroupsPath).length).toBeGreaterThan(0);
    fs.writeFileSync(path.join(b.host, 'go'), '');
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    s.ok(['delete', id]);
    expect(s.rt(['state', id]).code).not.toBe(0);
    expect(s.leftovers(id, b)).toEqual([]);
    expect(await waitFor(() => !pidAlive(pid))).toBe(true);
  });

  // Delete: resources the container did not create stay: the bundle, files in bind-mounted
  // host dirs, and a parent cgroup that existed before.
  it('keeps what the container did not create', async () => {
    const parent = `/tsrun-conf-parent-${process.pid}-${Date.now()}`;
    s.trackCgroup(parent);
    const made = cgroupHierarchies().map((h) => path.join(h, parent));
    for (const d of made) fs.mkdirSync(d, { recursive: true });
    const b = await s.bundle('keep', {
      args: ['sh', '-c', 'echo hi > /m/out'],
      mutate: (c) => {
        c.linux.cgroupsPath = `${parent}/child`;
      },
    });
    s.trackCgroup(`${parent}/child`);
    const id = s.id('keep');
    s.create(id, b);
    s.start(id);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    s.ok(['delete', id]);
    expect(fs.existsSync(path.join(b.dir, 'config.json'))).toBe(true);
    expect(fs.existsSync(path.join(b.dir, 'rootfs/bin/busybox'))).toBe(true);
    expect(fs.readFileSync(path.join(b.host, 'out'), 'utf8').trim()).toBe('hi');
    expect(made.filter((d) => !fs.existsSync(d))).toEqual([]);
    expect(cgroupDirs(`${parent}/child`)).toEqual([]);
  });

  // Delete: once deleted, the id MAY be used again (allowed, checked because callers rely on it).
  it('allows the id to be reused after delete (MAY)', async () => {
    const b = await s.bundle('reuse', { args: ['true'] });
    const id = s.id('reuse');
    s.create(id, b);
    s.start(id);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    s.ok(['delete', id]);
    s.create(id, b);
    expect(s.state(id).status).toBe('created');
  });

  // Delete: an unknown container, or no id, is an error.
  it('errors for an unknown container and without an id', () => {
    expect(s.rt(['delete', 'conf-no-such-container']).code).not.toBe(0);
    expect(s.rt(['delete']).code).not.toBe(0);
  });

  // Not in the spec but relied on by every caller (and by this suite's teardown):
  // delete --force removes a running container and its process.
  it('delete --force removes a running container (runc CLI)', async () => {
    const b = await s.bundle('force', { args: ['sleep', '100'] });
    const id = s.id('force');
    s.create(id, b);
    s.start(id);
    const pid = s.state(id).pid!;
    s.ok(['delete', '--force', id]);
    expect(s.leftovers(id, b)).toEqual([]);
    expect(await waitFor(() => !pidAlive(pid))).toBe(true);
  });
});
