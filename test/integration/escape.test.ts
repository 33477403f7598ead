// Attack tests: each one tries, as an attacker with a container (or a writable directory
// the caller uses) would, one class of known runtime escapes (SECURITY.md lists them).
// Races run against a racer process that loops until stopped, for a bounded number of
// creates; every create must either fail closed or produce a container that is intact.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, BIN, cgroupDirs, pidAlive, sleep, Suite, waitFor } from '../../conformance/lib/harness';

const skip = announceSkip(__filename);
const s = new Suite('escape');
const racers = new Set<ChildProcess>();
let racerBin = '';

beforeAll(() => {
  if (skip) return;
  // The racer: a tight loop of renameat2(RENAME_EXCHANGE) between two paths (node cannot
  // exchange atomically, and a shell loop is far too slow to win a race).
  racerBin = path.join(s.tmp, 'racer');
  const r = spawnSync('cc', ['-O2', '-o', racerBin, path.join(__dirname, '../helpers/racer.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc racer.c failed: ${r.stderr}`);
});

afterAll(async () => {
  for (const r of racers) r.kill('SIGKILL');
  await s.cleanup();
});

/** Start a racer exchanging a and b until stopped; returns the stop function. */
function race(a: string, b: string): () => Promise<void> {
  const p = spawn(racerBin, [a, b], { stdio: 'ignore' });
  racers.add(p);
  return async () => {
    p.kill('SIGKILL');
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
    racers.delete(p);
  };
}

function oneLine(stderr: string): void {
  expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** How many raced creates each race test runs (bounded; CI time). */
const ATTEMPTS = Number(process.env.ESCAPE_ATTEMPTS || 120);

describe.skipIf(skip)('escape classes', () => {
  // ---- class 6: the pid file ----
  it('6: --pid-file never writes through a symlink planted at a predictable temp name', async () => {
    const b = await s.bundle('pidfile', { args: ['true'] });
    const dir = path.join(s.tmp, 'pid-dir'); // a directory the attacker can write
    fs.mkdirSync(dir);
    const victim = path.join(s.tmp, 'victim');
    fs.writeFileSync(victim, 'precious\n', { mode: 0o600 });
    // The next pids: tsrun is one of them (other processes of this machine take some).
    const last = Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    for (let i = 1; i <= 4000; i++) {
      const pid = ((last + i) % max) || 1;
      fs.symlinkSync(victim, path.join(dir, `.c.pid.${pid}`));
    }
    const id = s.id('pidfile');
    s.ok(['create', '--bundle', b.dir, '--pid-file', path.join(dir, 'c.pid'), id]);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(Number(fs.readFileSync(path.join(dir, 'c.pid'), 'utf8'))).toBe(s.state(id).pid);
    expect(fs.lstatSync(path.join(dir, 'c.pid')).isFile()).toBe(true);
    s.ok(['delete', '--force', id]);
  });

  // ---- class 7: bad input that must be a clear error ----
  it('7: config.json that is /dev/zero, a fifo or huge is refused at once', async () => {
    const b = await s.bundle('cfgzero', { args: ['true'] });
    const cfg = path.join(b.dir, 'config.json');
    const cases: [string, () => void, RegExp][] = [
      ['/dev/zero', () => fs.symlinkSync('/dev/zero', cfg), /config\.json.*not a regular file/],
      ['fifo', () => spawnSync('mkfifo', [cfg]), /config\.json.*not a regular file/],
      ['1 GiB sparse', () => fs.truncateSync((fs.writeFileSync(cfg, ''), cfg), 1 << 30), /config\.json.*too large/],
    ];
    for (const [what, make, err] of cases) {
      fs.rmSync(cfg, { force: true });
      make();
      const id = s.id('cfg');
      const t0 = Date.now();
      const r = s.rt(['create', '--bundle', b.dir, id], { timeoutMs: 20_000 });
      expect(r.signal, what).toBeNull();
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(err);
      oneLine(r.stderr);
      expect(Date.now() - t0, what).toBeLessThan(10_000);
      expect(fs.existsSync(s.stateDir(id)), what).toBe(false);
    }
    fs.rmSync(cfg, { force: true });
  });

  it('7: an rlimit of 2^64-1 (or >= 2^63) is unlimited, as runc reads it', async () => {
    const b = await s.bundle('rlim', { args: ['sh', '-c', 'grep -E "^Max (core file size|file size)" /proc/self/limits'] });
    const raw = fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8');
    const c = JSON.parse(raw);
    c.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_FSIZE', soft: 0, hard: 0 });
    // Written by hand: JSON.stringify cannot print an exact uint64.
    const text = JSON.stringify(c)
      .replace('{"type":"RLIMIT_CORE","soft":0,"hard":0}', '{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615}')
      .replace('{"type":"RLIMIT_FSIZE","soft":0,"hard":0}', '{"type":"RLIMIT_FSIZE","soft":9223372036854775808,"hard":9223372036854775808}');
    fs.writeFileSync(path.join(b.dir, 'config.json'), text);
    const r = s.rt(['run', '--bundle', b.dir, s.id('rlim')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Max core file size\s+unlimited\s+unlimited\s+bytes\s*$/m);
    expect(r.stdout).toMatch(/^Max file size\s+unlimited\s+unlimited\s+bytes\s*$/m);
  });

  it('7: more than 4095 args and env entries all reach the process', async () => {
    const args = ['sh', '-c', 'echo $#; env | grep -c "^X[0-9]"', 'sh', ...Array.from({ length: 5000 }, (_, i) => `a${i}`)];
    const b = await s.bundle('manyargs', { args });
    s.editConfig(b, (c) => c.process.env.push(...Array.from({ length: 5000 }, (_, i) => `X${i}=${i}`)));
    const r = s.rt(['run', '--bundle', b.dir, s.id('manyargs')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('5000\n5000\n');
  });

  // ---- class 8: bookkeeping ----
  it('8: a 250-character id can be created, listed and deleted', async () => {
    const b = await s.bundle('longid', { args: ['true'] });
    const id = 'L' + s.id('long').replace(/[^A-Za-z0-9]/g, '').padEnd(249, 'x').slice(0, 249);
    expect(id).toHaveLength(250);
    s.create(id, b);
    expect(s.ok(['list', '-q']).stdout.split('\n')).toContain(id);
    s.ok(['delete', '--force', id]);
    expect(fs.existsSync(s.stateDir(id))).toBe(false);
    expect(cgroupDirs(b.cgroupsPath)).toEqual([]);
  });

  it('8: an id starting with "." is listed and deleted like any other', async () => {
    const b = await s.bundle('dotid', { args: ['sleep', '100'] });
    const id = '.' + s.id('dot');
    try {
      s.create(id, b);
      const listed = JSON.parse(s.ok(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
      expect(listed.find((x) => x.id === id)?.status).toBe('created');
    } finally {
      s.rt(['delete', '--force', id]);
    }
    expect(fs.existsSync(s.stateDir(id))).toBe(false);
  });

  it('8: a create killed after its cgroups exist is cleaned up by delete --force', async () => {
    // Stage 1 opens namespace paths before joining them: a fifo there holds it (and create)
    // right after the cgroups were made, so the SIGKILL below lands in that window.
    const fifo = path.join(s.tmp, 'ns-fifo');
    spawnSync('mkfifo', [fifo]);
    const b = await s.bundle('killed', { args: ['true'] });
    s.editConfig(b, (c) => c.linux.namespaces.push({ type: 'uts', path: fifo }));
    s.editConfig(b, (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string; path?: string }) => n.type !== 'uts' || n.path)));
    const id = s.id('killed');
    const p = spawn(BIN, ['--root', s.root, 'create', '--bundle', b.dir, id], { stdio: 'ignore' });
    try {
      expect(await waitFor(() => cgroupDirs(b.cgroupsPath).length > 0, 10_000, 10)).toBe(true);
      await sleep(100);
    } finally {
      p.kill('SIGKILL');
      await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
    }
    // The cgroup still holds stage 1 (blocked on the fifo); delete --force must clear it all.
    const r = s.rt(['delete', '--force', id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await waitFor(() => cgroupDirs(b.cgroupsPath).length === 0, 5000)).toBe(true);
    expect(fs.existsSync(s.stateDir(id))).toBe(false);
  });
});

