// `checkpoint` / `restore`: where CRIU cannot work (criu missing, or `criu check` failing as
// it does on this kernel) the command fails with one line that carries criu check's
// complaint, exit 1, and leaves everything as it was: the container keeps running with
// the same init, no image directory appears, restore creates no container or cgroup.
// Debian's runc is run beside it for the exit code and the untouched container.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNC, cgroupDirs, pidAlive, skipReason, Suite } from '../../conformance/lib/harness';

const skip = skipReason();
if (skip) console.warn(`[checkpoint] skipped: ${skip}`);
const withRunc = fs.existsSync(RUNC);
const criu = spawnSync('criu', ['check'], { encoding: 'utf8' });
const criuState = criu.error ? 'absent' : criu.status === 0 ? 'works' : 'fails';
console.warn(`[checkpoint] criu on this host: ${criuState}`);

const ts = new Suite('ckpt');
const rc = new Suite('ckpt-runc', RUNC);
afterAll(async () => {
  await ts.cleanup();
  await rc.cleanup();
});

/** What tsrun must say for this host's criu. */
const expected = criuState === 'absent' ? /criu check: "criu": executable file not found/ : /criu check failed \(exit status \d+\): \S/;
// Where CRIU works, checkpoint-criu.test.ts (the guest tier) does the real thing.
if (criuState === 'works') console.warn('[checkpoint] the no-CRIU cases skipped: criu works on this host');

describe.skipIf(!!skip || criuState === 'works')('checkpoint and restore without a working CRIU', () => {
  it.each(withRunc ? [['tsrun'], ['runc']] : [['tsrun']])('%s: checkpoint fails, exit 1, the container keeps running', async (name) => {
    const s = name === 'runc' ? rc : ts;
    const b = await s.bundle('ck', { args: ['sleep', '1000'] });
    const id = s.id('ck');
    s.ok(['run', '-d', '--bundle', b.dir, id]);
    const pid = s.state(id).pid!;
    const cwd = fs.mkdtempSync(path.join(s.tmp, 'cwd-'));
    for (const flags of [[], ['--leave-running', '--tcp-established', '--image-path', path.join(cwd, 'img'), '--manage-cgroups-mode', 'soft']]) {
      const r = s.rt(['checkpoint', ...flags, id], { cwd });
      expect(r.code).toBe(1);
      if (name === 'tsrun') {
        expect(r.stderr).toMatch(expected);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        if (criuState === 'fails') {
          // The complaint is criu check's own first error line.
          const first = `${criu.stderr}\n${criu.stdout}`.split('\n').map((l) => l.trim()).find((l) => l.startsWith('Error'));
          if (first) expect(r.stderr).toContain(first);
        }
      }
      expect(s.state(id)).toMatchObject({ status: 'running', pid });
      expect(pidAlive(pid)).toBe(true);
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    }
    // tsrun writes no image or work directory when it refuses (runc leaves ./checkpoint behind).
    if (name === 'tsrun') expect(fs.readdirSync(cwd)).toEqual([]);
    s.ok(['delete', '-f', id]);
  });

  it('names a missing criu binary (--criu), refuses bad flags, unknown and stopped containers', async () => {
    const b = await ts.bundle('ck2', { args: ['sleep', '1000'] });
    const id = ts.id('ck2');
    ts.ok(['run', '-d', '--bundle', b.dir, id]);
    const missing = ts.rt(['--criu', '/nonexistent/criu', 'checkpoint', id]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"/nonexistent/criu": executable file not found');
    const bad = ts.rt(['checkpoint', '--manage-cgroups-mode', 'bogus', id]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid --manage-cgroups-mode value "bogus"');
    expect(ts.rt(['checkpoint', '--page-server', 'nohost', id]).code).toBe(1);
    expect(ts.state(id).status).toBe('running');
    ts.ok(['kill', id, 'KILL']);
    await ts.waitStatus(id, 'stopped');
    const stopped = ts.rt(['checkpoint', id]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('container is not running');
    const unknown = ts.rt(['checkpoint', 'no-such-container']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');
    ts.ok(['delete', id]);
  });

  it.each(withRunc ? [['tsrun'], ['runc']] : [['tsrun']])('%s: restore fails, exit 1, and creates nothing', async (name) => {
    const s = name === 'runc' ? rc : ts;
    const b = await s.bundle('rs', { args: ['sleep', '1000'] });
    const id = s.id('rs');
    const r = s.rt(['restore', '--bundle', b.dir, '--image-path', path.join(s.tmp, 'no-images'), id]);
    expect(r.code).toBe(1);
    if (name === 'tsrun') {
      expect(r.stderr).toMatch(expected);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(fs.existsSync(s.stateDir(id))).toBe(false);
      expect(cgroupDirs(b.cgroupsPath)).toEqual([]);
    }
    expect(s.rt(['state', id]).code).toBe(1);
  });
});
