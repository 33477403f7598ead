// Bad input through the real binary: one clear line on stderr, exit 1, nothing left behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceSkip, BIN, pidAlive, Suite } from '../../conformance/lib/harness';

const skip = announceSkip(__filename);
const s = new Suite('badinput');
afterAll(() => s.cleanup());

function oneLine(stderr: string): void {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe.skipIf(skip)('bad input', () => {
  it('20 concurrent creates of one id: exactly one wins and its state stays valid', async () => {
    const b = await s.bundle('race', { args: ['sleep', '100'] });
    const id = s.id('race');
    const runs = Array.from({ length: 20 }, () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(BIN, ['--root', s.root, 'create', '--bundle', b.dir, id], { stdio: ['ignore', 'ignore', 'pipe'] });
        // 'exit' may come before the last stderr chunk is read: a loser is done when its
        // stderr has ended too (the winner's never does: its init inherits it).
        let err = '';
        let code: number | null | undefined;
        let ended = false;
        const done = () => code !== undefined && (ended || code === 0) && resolve({ code, err });
        p.stderr.on('data', (d) => (err += d));
        p.stderr.on('end', () => ((ended = true), done()));
        p.on('exit', (c) => ((code = c), done()));
      }),
    );
    const results = await Promise.all(runs);
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    for (const r of results.filter((x) => x.code !== 0)) {
      expect(r.err).toMatch(/already exists|exists/);
      oneLine(r.err);
    }
    const st = s.state(id);
    expect(st.status).toBe('created');
    expect(pidAlive(st.pid!)).toBe(true);
    // Only one init was started: the cgroup holds exactly the winner's pid.
    s.ok(['delete', '--force', id]);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('a --console-socket that is not a socket is refused before anything is created', async () => {
    const b = await s.bundle('notsock', { args: ['true'], mutate: (c) => (c.process.terminal = true) });
    const file = path.join(s.tmp, 'not-a-socket');
    fs.writeFileSync(file, '');
    const id = s.id('notsock');
    const r = s.rt(['create', '--bundle', b.dir, '--console-socket', file, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a unix socket');
    oneLine(r.stderr);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('terminal without --console-socket is refused', async () => {
    const b = await s.bundle('noconsole', { args: ['true'], mutate: (c) => (c.process.terminal = true) });
    const id = s.id('noconsole');
    const r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--console-socket is required');
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('names the JSON pointer of a schema error and the line of a JSON syntax error', async () => {
    const b = await s.bundle('schema', { args: ['true'], mutate: (c) => (c.process.args = 'true') });
    const id = s.id('schema');
    let r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.stderr).toContain('config.json: /process/args: must be array');
    oneLine(r.stderr);
    fs.writeFileSync(path.join(b.dir, 'config.json'), '{\n  "ociVersion": "1.2.0",\n  oops\n}');
    r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.stderr).toMatch(/config\.json:3:\d+: invalid JSON/);
    oneLine(r.stderr);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('a missing rootfs or bundle is a clear error', async () => {
    const b = await s.bundle('norootfs', { args: ['true'] });
    fs.rmSync(path.join(b.dir, 'rootfs'), { recursive: true });
    const id = s.id('norootfs');
    let r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.stderr).toContain('/root/path');
    oneLine(r.stderr);
    r = s.rt(['create', '--bundle', path.join(s.tmp, 'nope'), id]);
    expect(r.stderr).toContain('does not exist');
    oneLine(r.stderr);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('--log-format json writes runc-style JSON log lines to --log', () => {
    const log = path.join(s.tmp, 'log.json');
    const r = s.rt(['--log', log, '--log-format', 'json', 'state', 'no-such-container']);
    expect(r.code).toBe(1);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringContaining('does not exist') });
    expect(Date.parse(lines.at(-1).time)).not.toBeNaN();
  });

  it('start reports a program that cannot be executed, and the container is stopped', async () => {
    // Executable bits but no known format: create's checks pass, execve fails (ENOEXEC).
    const b = await s.bundle('noexec', { args: ['/not-a-program'] });
    fs.writeFileSync(path.join(b.dir, 'rootfs', 'not-a-program'), 'neither ELF nor #!\n', { mode: 0o755 });
    const id = s.id('noexec');
    s.ok(['create', '--bundle', b.dir, id]);
    const r = s.rt(['start', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not-a-program.*ENOEXEC/);
    oneLine(r.stderr);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    s.ok(['delete', id]);
  });

  it('start fails cleanly when the init dies while start waits for it', async () => {
    const b = await s.bundle('dies', { args: ['true'] });
    const id = s.id('dies');
    s.ok(['create', '--bundle', b.dir, id]);
    const pid = s.state(id).pid!;
    // A stopped init cannot finish opening exec.fifo: start waits, then the init is killed.
    process.kill(pid, 'SIGSTOP');
    const started = new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(BIN, ['--root', s.root, 'start', id], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => resolve({ code, err }));
    });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    const r = await started;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`container init \\(pid ${pid}\\) exited before it could be started`));
    oneLine(r.err);
    s.ok(['delete', id]);
  });

  it('state, kill and delete of an unknown id fail with one line', () => {
    for (const cmd of [['state'], ['kill'], ['delete'], ['start']]) {
      const r = s.rt([...cmd, 'no-such-container']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('does not exist');
      oneLine(r.stderr);
    }
  });
});
