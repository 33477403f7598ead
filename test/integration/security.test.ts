// Security properties checked from outside and inside real containers.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceSkip, BIN, Suite } from '../../conformance/lib/harness';

const skip = announceSkip(__filename);
const s = new Suite('security');
afterAll(() => s.cleanup());

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe.skipIf(skip)('security', () => {
  it('a container process cannot open the tsrun binary through /proc/<init>/exe (CVE-2019-5736)', async () => {
    // Before start the init is still a copy of tsrun, with the container's own credentials:
    // without PR_SET_DUMPABLE=0 a process exec'd into it could open (and later write) it.
    const b = await s.bundle('exe', { args: ['sleep', '100'] });
    const id = s.id('exe');
    const before = sha(BIN);
    s.create(id, b);
    const r = s.rt(['exec', id, 'sh', '-c', 'readlink /proc/1/exe || echo no-link; echo x >> /proc/1/exe || echo no-write; cat /proc/1/exe > /dev/null || echo no-read']);
    expect(r.stdout).toBe('no-link\nno-write\nno-read\n');
    expect(r.stderr).toMatch(/Permission denied/);
    expect(sha(BIN)).toBe(before);
    s.ok(['delete', '--force', id]);
  });

  it('keeps the state root and state files private (0700 dirs, state.json not world-writable)', async () => {
    const b = await s.bundle('perm', { args: ['true'] });
    const id = s.id('perm');
    s.create(id, b);
    expect(fs.statSync(s.root).mode & 0o777).toBe(0o700);
    expect(fs.statSync(s.stateDir(id)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(s.stateDir(id), 'state.json')).mode & 0o022).toBe(0);
    s.ok(['delete', '--force', id]);
  });

  it('an exec process gets the container user, caps, no_new_privs and seccomp filter', async () => {
    const b = await s.bundle('execcreds', { args: ['sleep', '100'] });
    s.editConfig(b, (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat', 'mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const id = s.id('execcreds');
    s.create(id, b);
    s.ok(['start', id]);
    const r = s.rt(['exec', id, 'sh', '-c', 'id -u; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/x 2>&1']);
    expect(r.stdout).toContain('1000\n');
    expect(r.stdout).toMatch(/CapEff:\t0{16}/); // non-root without ambient caps: nothing effective
    expect(r.stdout).toContain('NoNewPrivs:\t1');
    expect(r.stdout).toContain('Seccomp:\t2');
    expect(r.stdout).toContain('Operation not permitted');
    s.ok(['delete', '--force', id]);
  });
});
