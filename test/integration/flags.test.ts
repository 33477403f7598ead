// Flags callers pass that had no test of their effect: --no-new-keyring, --pidfd-socket
// (runc 1.2; create, run and exec), kill --all with several processes, run --no-subreaper,
// exec --ignore-paused. Each checked from inside or outside the container, and side by side
// with Debian's runc 1.1.5 where it has the flag.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNC, REPO, pidAlive, skipReason, Suite, waitFor } from '../../conformance/lib/harness';

const skip = skipReason();
if (skip) console.warn(`[flags] skipped: ${skip}`);
const withRunc = fs.existsSync(RUNC);
if (!withRunc) console.warn(`[flags] ${RUNC} not installed: no side-by-side comparison`);
const suites = [new Suite('flags'), ...(withRunc ? [new Suite('flags-runc', RUNC)] : [])];
const ts = suites[0];
afterAll(async () => {
  for (const s of suites) await s.cleanup();
});
const name = (s: Suite) => (s === ts ? 'tsrun' : 'runc');

/** Process state letter from /proc/<pid>/stat (S, R, T, Z...). */
function procState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0];
}

function children(pid: number): number[] {
  return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

describe.skipIf(!!skip)('flags', () => {
  it.each(suites.map((s) => [name(s), s] as const))('--no-new-keyring (%s): no session keyring of the container\'s own', async (_n, s) => {
    const b = await s.bundle('keys', {
      args: ['cat', '/proc/keys'],
      mutate: (c) => (c.linux.maskedPaths = c.linux.maskedPaths.filter((p: string) => p !== '/proc/keys')),
    });
    const withRing = s.id('kr');
    const own = s.ok(['run', '--bundle', b.dir, withRing]).stdout;
    // runc's name and permissions: "_ses.<id>", possessor all + user view/read/link/search.
    expect(own).toMatch(new RegExp(`perm 3f1b0000 .* keyring\\s+_ses\\.${withRing.replace(/[.+]/g, '\\$&')}:`));
    const without = s.id('nokr');
    const inherited = s.ok(['run', '--no-new-keyring', '--bundle', b.dir, without]).stdout;
    expect(inherited).toContain('keyring'); // /proc/keys was readable
    expect(inherited).not.toContain(without);
  });

  it.each(suites.map((s) => [name(s), s] as const))('kill --all (%s) signals every process of the container, kill only the init', async (_n, s) => {
    const b = await s.bundle('all', { args: ['sh', '-c', 'sleep 1000 & sleep 1000 & exec sleep 999'] });
    const id = s.id('all');
    s.ok(['run', '-d', '--bundle', b.dir, id]);
    const init = s.state(id).pid!;
    await waitFor(() => children(init).length === 2);
    const kids = children(init);
    expect(kids).toHaveLength(2);
    s.ok(['kill', id, 'STOP']);
    expect(await waitFor(() => procState(init) === 'T')).toBe(true);
    expect(kids.map(procState)).not.toContain('T');
    s.ok(['kill', id, 'CONT']);
    s.ok(['kill', '--all', id, 'STOP']);
    expect(await waitFor(() => [init, ...kids].every((p) => procState(p) === 'T'))).toBe(true);
    s.ok(['kill', '-a', id, 'KILL']);
    expect(await waitFor(() => [init, ...kids].every((p) => !pidAlive(p)))).toBe(true);
    await s.waitStatus(id, 'stopped');
    s.ok(['delete', id]);
  });

  it.each(suites.map((s) => [name(s), s] as const))('--debug (%s) adds debug lines to the log; without it there are none', async (_n, s) => {
    const b = await s.bundle('dbg', { args: ['true'] });
    const log = path.join(s.tmp, `debug-${name(s)}.log`);
    const id = s.id('dbg');
    s.ok(['--debug', '--log', log, '--log-format', 'json', 'create', '--bundle', b.dir, id]);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level === 'debug').length).toBeGreaterThan(2);
    const quiet = path.join(s.tmp, `quiet-${name(s)}.log`);
    s.ok(['--log', quiet, '--log-format', 'json', 'delete', '--force', id]);
    expect(fs.existsSync(quiet) ? fs.readFileSync(quiet, 'utf8') : '').not.toContain('"debug"');
  });

  it.each(suites.map((s) => [name(s), s] as const))('run --no-subreaper (%s) is accepted and runs the container', async (_n, s) => {
    const b = await s.bundle('nosub', { args: ['sh', '-c', 'exit 3'] });
    const r = s.rt(['run', '--no-subreaper', '--bundle', b.dir, s.id('nosub')]);
    expect(r.code, r.stderr).toBe(3);
  });

  describe('--pidfd-socket (runc 1.2; Debian\'s runc 1.1.5 lacks it)', () => {
    const receivers: ChildProcess[] = [];
    afterAll(() => receivers.forEach((r) => r.kill('SIGKILL')));

    /** Start the receiver; resolves once it listens. `result` resolves with what it got. */
    async function receiver(sock: string, signal = 0): Promise<{ result: Promise<{ data: string; pid: number }> }> {
      const child = spawn('python3', [path.join(REPO, 'test/helpers/recvpidfd.py'), sock, String(signal)], { stdio: ['ignore', 'pipe', 'inherit'] });
      receivers.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      expect(await waitFor(() => out.includes('listening'), 10_000)).toBe(true);
      const result = (async () => {
        await waitFor(() => out.split('\n').length > 2, 15_000);
        return JSON.parse(out.split('\n')[1]);
      })();
      return { result };
    }

    it('create sends a pidfd of the init; a signal through it stops the container', async () => {
      const b = await ts.bundle('pidfd', { args: ['sleep', '1000'] });
      const id = ts.id('pidfd');
      const sock = path.join(ts.tmp, 'pidfd.sock');
      const rcv = await receiver(sock, 9);
      const pidFile = path.join(ts.tmp, 'init.pid');
      ts.ok(['create', '--pidfd-socket', sock, '--pid-file', pidFile, '--bundle', b.dir, id]);
      const got = await rcv.result;
      expect(got).toEqual({ data: 'pidfd', pid: Number(fs.readFileSync(pidFile, 'utf8')) });
      expect(await ts.waitStatus(id, 'stopped')).toBeTruthy();
      ts.ok(['delete', id]);
    });

    it('exec sends a pidfd of the new process', async () => {
      const b = await ts.bundle('pidfdx', { args: ['sleep', '1000'] });
      const id = ts.id('pidfdx');
      ts.ok(['run', '-d', '--bundle', b.dir, id]);
      const sock = path.join(ts.tmp, 'pidfdx.sock');
      const rcv = await receiver(sock);
      const pidFile = path.join(ts.tmp, 'x.pid');
      ts.ok(['exec', '-d', '--pidfd-socket', sock, '--pid-file', pidFile, id, 'sleep', '500']);
      expect((await rcv.result).pid).toBe(Number(fs.readFileSync(pidFile, 'utf8')));
      ts.ok(['delete', '-f', id]);
    });

    it('a socket that is not there: one-line error, nothing created', async () => {
      const b = await ts.bundle('pidfdbad', { args: ['sleep', '1000'] });
      const id = ts.id('pidfdbad');
      const r = ts.rt(['run', '-d', '--pidfd-socket', path.join(ts.tmp, 'none.sock'), '--bundle', b.dir, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--pidfd-socket .*none\.sock: ENOENT/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(ts.leftovers(id, b)).toEqual([]);
    });
  });

  it('exec --ignore-paused into a paused container: a clear refusal, no hang', async () => {
    const b = await ts.bundle('ign', { args: ['sleep', '1000'] });
    const id = ts.id('ign');
    ts.ok(['run', '-d', '--bundle', b.dir, id]);
    ts.ok(['pause', id]);
    const r = ts.rt(['exec', '--ignore-paused', id, 'true'], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--ignore-paused');
    expect(ts.state(id).status).toBe('paused');
    ts.ok(['resume', id]);
    // Not paused: the flag changes nothing (as in runc).
    expect(ts.rt(['exec', '--ignore-paused', id, 'true']).code).toBe(0);
    ts.ok(['delete', '-f', id]);
  });
});
