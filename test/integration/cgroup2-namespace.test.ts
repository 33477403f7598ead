// A whole container lifecycle in cgroup v2 mode on this hybrid host: every tsrun call runs
// in a private mount namespace where /sys/fs/cgroup is the (only) cgroup2 hierarchy, the
// same tree the host shows at /sys/fs/cgroup/unified. Checks that stage 1 is born in its
// cgroup (clone3 CLONE_INTO_CGROUP, no cgroup.procs write), for create and exec, and that
// the processes are in it.
// On a pure v2 host the ordinary integration tests already run in v2 mode.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipReason, Suite, waitFor } from '../../conformance/lib/harness';
import { modesSkipReason, rtIn, UNIFIED } from '../helpers/cgroup-modes';

const skip = skipReason() ?? modesSkipReason();
if (skip) console.warn(`[cgroup2 namespace] skipped: ${skip}`);

const s = new Suite('cg2ns');
afterAll(() => s.cleanup());

/** tsrun in a mount namespace whose /sys/fs/cgroup is cgroup2 only; stdio to files. */
const inV2 = (args: string[], env: NodeJS.ProcessEnv = {}) => rtIn(s, 'v2', args, { env });

describe.skipIf(!!skip)('cgroup v2 mode (private cgroup2 mount on the hybrid host)', () => {
  it('create and exec put stage 1 into the cgroup at birth; their processes run there; delete removes it', async () => {
    const b = await s.bundle('v2', {
      args: ['sleep', '100'],
      // The v1-style cgroupfs mount of the default config has nothing to show in v2 mode.
      mutate: (c) => (c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'cgroup')),
    });
    const id = s.id('v2');
    const created = inV2(['create', '--bundle', b.dir, id], { TSRUN_TIMING: '1' });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain('stage 1 forked into its cgroup');
    const state = JSON.parse(inV2(['state', id]).stdout) as { pid: number; status: string };
    expect(state.status).toBe('created');
    const hostDir = path.join(UNIFIED, b.cgroupsPath);
    expect(fs.readFileSync(`/proc/${state.pid}/cgroup`, 'utf8')).toContain(`0::${b.cgroupsPath}\n`);
    expect(fs.readFileSync(path.join(hostDir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(state.pid));
    expect(inV2(['start', id]).code).toBe(0);
    // exec: its stage 1 is born in the container's cgroup too; the process stays there.
    const pidFile = path.join(s.tmp, 'exec.pid');
    const execd = inV2(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '50'], { TSRUN_TIMING: '1' });
    expect(execd.code, execd.stderr).toBe(0);
    expect(execd.stderr).toContain('stage 1 forked into its cgroup');
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(fs.readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toContain(`0::${b.cgroupsPath}\n`);
    // The host cgroup dir handed to clone3 must not be reachable before execve (a cwd of
    // /proc/self/fd/N would escape the rootfs: runc CVE-2024-21626): no fd works as a cwd.
    for (let n = 3; n <= 20; n++) {
      const r = inV2(['exec', '--cwd', `/proc/self/fd/${n}`, id, 'true']);
      expect(r.code, `cwd /proc/self/fd/${n} was accepted`).not.toBe(0);
    }
    expect(inV2(['kill', id, 'KILL']).code).toBe(0);
    await waitFor(() => JSON.parse(inV2(['state', id]).stdout).status === 'stopped');
    const deleted = inV2(['delete', id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(fs.existsSync(hostDir)).toBe(false);
  });
});
