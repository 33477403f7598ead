// runtime.md "Create" and lifecycle step 2: id rules, config errors leave nothing behind,
// the user program does not run before start, later config.json edits have no effect.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, Config, pidAlive, sleep, Suite, waitFor } from './lib/harness';

const skip = announceSkip(__filename);

describe.skipIf(!!skip)('create', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('create');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // Create: an id that is not unique is an error, no new container is made,
  // and (Errors) the existing one is untouched.
  it('errors on a duplicate id and leaves the existing container as it was', async () => {
    const b1 = await s.bundle('dup1', { args: ['sleep', '100'] });
    const b2 = await s.bundle('dup2', { args: ['sleep', '100'] });
    const id = s.id('dup');
    s.create(id, b1);
    const before = s.state(id);
    const r = s.rt(['create', '--bundle', b2.dir, id]);
    expect(r.code).not.toBe(0);
    const after = s.state(id);
    expect(after.status).toBe('created');
    expect(after.pid).toBe(before.pid);
    expect(fs.realpathSync(after.bundle)).toBe(fs.realpathSync(b1.dir));
    expect(pidAlive(before.pid!)).toBe(true);
  });

  // Create: an id that is "not valid in any other way" is an error; it must never name
  // a place outside the runtime's state.
  it('errors on an id that would escape the state root', async () => {
    const b = await s.bundle('badid', { args: ['sleep', '100'] });
    const name = `conf-escape-${process.pid}`;
    const r = s.rt(['create', '--bundle', b.dir, `../${name}`]);
    expect(r.code).not.toBe(0);
    expect(fs.existsSync(path.join(s.root, '..', name))).toBe(false);
  });

  // Create: the operation needs both a bundle and an id.
  it('errors when no id is given', async () => {
    const b = await s.bundle('noid', { args: ['sleep', '100'] });
    expect(s.rt(['create', '--bundle', b.dir]).code).not.toBe(0);
  });

  // Create + Errors: when the config cannot be applied, create errors and no container exists
  // afterwards (no state, no state dir, no cgroup).
  const invalid: Array<[string, (c: Config, dir: string) => void]> = [
    ['malformed JSON', (_c, dir) => fs.writeFileSync(path.join(dir, 'config.json'), '{"ociVersion": "1.2.0", ')],
    ['unknown namespace type', (c) => c.linux.namespaces.push({ type: 'bogus' })],
    ['relative process.cwd', (c) => (c.process.cwd = 'relative/dir')],
    ['missing root.path', (c) => (c.root.path = 'no-such-rootfs')],
    ['bind mount of a missing source', (c) =>
      c.mounts.push({ destination: '/missing', type: 'bind', source: '/nonexistent/tsrun-conf', options: ['rbind'] })],
    ['unknown sysctl', (c) => (c.linux.sysctl = { 'net.ipv4.tsrun_conf_no_such_knob': '1' })],
  ];
  for (const [what, breakIt] of invalid) {
    it(`errors and creates nothing: ${what}`, async () => {
      let rewrite: ((dir: string) => void) | undefined;
      const b = await s.bundle('invalid', {
        args: ['sh', '-c', 'touch /m/ran'],
        mutate: (c) => {
          if (what === 'malformed JSON') rewrite = (dir) => breakIt(c, dir);
          else breakIt(c, '');
        },
      });
      rewrite?.(b.dir);
      const id = s.id('invalid');
      const r = s.rt(['create', '--bundle', b.dir, id]);
      expect(r.code).not.toBe(0);
      expect(s.leftovers(id, b)).toEqual([]);
      expect(fs.existsSync(path.join(b.host, 'ran'))).toBe(false);
    });
  }

  // Lifecycle step 2 / Create: the user program (process.args) must not run until start.
  it('does not run the user program until start', async () => {
    const b = await s.bundle('notrun', { args: ['sh', '-c', 'touch /m/ran; sleep 100'] });
    const id = s.id('notrun');
    s.create(id, b);
    await sleep(700);
    expect(fs.existsSync(path.join(b.host, 'ran'))).toBe(false);
    expect(s.state(id).status).toBe('created');
    s.start(id);
    expect(await waitFor(() => fs.existsSync(path.join(b.host, 'ran')))).toBe(true);
  });

  // Create / lifecycle step 2: edits to config.json after create must not affect the container.
  it('ignores config.json changes made after create', async () => {
    const b = await s.bundle('edit', { args: ['sh', '-c', 'echo original > /m/out; sleep 100'] });
    const id = s.id('edit');
    s.create(id, b);
    const file = path.join(b.dir, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Config;
    c.process.args = ['sh', '-c', 'echo changed > /m/out; sleep 100'];
    fs.writeFileSync(file, JSON.stringify(c));
    s.start(id);
    const out = path.join(b.host, 'out');
    expect(await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').trim())).toBe('original');
  });

  // Create: on success the status is "created".
  it('leaves the container in status created', async () => {
    const b = await s.bundle('created', { args: ['sleep', '100'] });
    const id = s.id('created');
    s.create(id, b);
    expect(s.state(id).status).toBe('created');
  });
});
