// containerd (Debian's containerd 1.6 and its runc v2 shim, driven by `ctr`) runs tsrun as it
// runs runc. One private containerd per file: its own config, root, state, sockets and opt
// dir; containers in a namespace (and so a cgroup tree) of their own. Every scenario runs
// twice, with `ctr run --runc-binary /usr/sbin/runc` (Debian's runc: proves the test is fair)
// and `--runc-binary dist/tsrun`. The image is an OCI layout of Debian's busybox-static,
// built here and loaded with `ctr image import`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason } from '../../conformance/lib/harness';
import { RUNC, RUNTIMES, cgroupV2, hostLimits, run, startContainerd, teardown, waitUntil } from '../helpers/callers';
import { busyboxRootfsTar, ociImageTar } from '../helpers/images';

const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const missing = [CONTAINERD, CTR, RUNC, '/usr/bin/script'].filter((p) => !fs.existsSync(p));
const skip = skipReason() ?? (missing.length ? `${missing.join(', ')} missing (scripts/setup.sh installs containerd)` : undefined);
if (skip) console.warn(`[containerd] skipped: ${skip}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-containerd-'));
const SOCK = path.join(tmp, 'containerd.sock');
const PIDFILE = path.join(tmp, 'containerd.pid');
const NS = `tsrun-test-${process.pid}`;
const CGROOT = `/${NS}`; // ctr's default cgroupsPath is /<namespace>/<id>
const IMAGE = `localhost/tsrun-test-busybox:${process.pid}`;

function ctr(args: string[], timeout = 60_000) {
  return run(CTR, ['--address', SOCK, '--namespace', NS, ...args], { timeout });
}

describe.skipIf(skip)('containerd', () => {
  beforeAll(async () => {
    await startContainerd(CONTAINERD, tmp, SOCK, PIDFILE, () => ctr(['version'], 10_000).code === 0, 30_000);
    const img = ociImageTar(await busyboxRootfsTar(tmp), tmp, IMAGE);
    const imp = ctr(['image', 'import', img]);
    expect(imp.code, imp.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const id of ctr(['task', 'ls', '-q'], 20_000).stdout.split('\n').filter(Boolean)) {
      ctr(['task', 'kill', '-s', 'SIGKILL', id], 20_000);
      ctr(['task', 'delete', '-f', id], 20_000);
    }
    for (const id of ctr(['container', 'ls', '-q'], 20_000).stdout.split('\n').filter(Boolean)) ctr(['container', 'delete', id], 20_000);
    await teardown(tmp, PIDFILE, CGROOT);
  }, 120_000);

  describe.each(RUNTIMES)('--runc-binary $name', ({ name: rt, path: bin }) => {
    const runcRoot = path.join(tmp, `runc-root-${rt}`);
    const stateDir = path.join(runcRoot, NS); // the shim adds the namespace to --runc-root
    const states = () => (fs.existsSync(stateDir) ? fs.readdirSync(stateDir) : []);
    const R = ['--runc-binary', bin, '--runc-root', runcRoot, '--fifo-dir', path.join(tmp, 'fifo')];
    let n = 0;
    const newId = () => `${rt}-${++n}`;
    /** `ctr run` in the foreground; the container is removed afterwards. */
    const runFg = (flags: string[], cmd: string[], id = newId()) => ctr(['run', '--rm', ...R, ...flags, IMAGE, id, ...cmd]);
    const tasks = () => Object.fromEntries(ctr(['task', 'ls']).stdout.trim().split('\n').slice(1)
      .map((l) => l.trim().split(/\s+/)).map(([id, pid, st]) => [id, { pid, status: st }]));
    /** A detached container running `cmd`; returns its id. */
    const detached = (flags: string[] = [], cmd = ['sleep', '1000']) => {
      const id = newId();
      const r = ctr(['run', '-d', ...R, ...flags, IMAGE, id, ...cmd]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return id;
    };
    const remove = (id: string) => {
      expect(ctr(['task', 'delete', '-f', id]).code).toBe(0); // -f: kill it first
      expect(ctr(['container', 'delete', id]).code).toBe(0);
    };

    it('run: output, stderr and exit codes', () => {
      expect(runFg([], ['sh', '-c', 'echo out; echo err >&2; exit 3'])).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(runFg([], ['true']).code).toBe(0);
    });

    it('run -d, task ls, logs, kill, delete', async () => {
      const logf = path.join(tmp, `log-${rt}.txt`);
      const id = detached(['--log-uri', `file://${logf}`],
        ['sh', '-c', 'echo started; trap "echo got TERM; exit 7" TERM; while true; do sleep 0.1; done']);
      const t = tasks()[id];
      expect(t.status).toBe('RUNNING');
      expect(Number(t.pid)).toBeGreaterThan(1);
      expect(await waitUntil(() => fs.existsSync(logf) && fs.readFileSync(logf, 'utf8') === 'started\n', 10_000)).toBe(true);
      expect(ctr(['task', 'kill', id]).code).toBe(0); // SIGTERM
      expect(await waitUntil(() => tasks()[id]?.status === 'STOPPED', 20_000)).toBe(true);
      expect(fs.readFileSync(logf, 'utf8')).toBe('started\ngot TERM\n');
      const del = ctr(['task', 'delete', id]);
      expect(del.code).toBe(0);
      expect(del.stderr).toMatch(/exit with non-zero exit code 7/);
      expect(ctr(['container', 'delete', id]).code).toBe(0);
      expect(ctr(['container', 'ls', '-q']).stdout.split('\n')).not.toContain(id);
      // The runtime's state for it is gone as well.
      expect(states()).not.toContain(id);
    });

    it('task exec: env, user, cwd, tty, exit status', () => {
      const id = detached(['--env', 'FOO=bar baz']);
      const ex = ctr(['task', 'exec', '--exec-id', 'e1', '--user', '65534', '--cwd', '/tmp', id, 'sh', '-c', 'echo "$FOO"; id -u; pwd; cat /proc/1/cmdline']);
      expect(ex).toMatchObject({ code: 0, stdout: 'bar baz\n65534\n/tmp\nsleep\u00001000\u0000', stderr: '' });
      expect(ctr(['task', 'exec', '--exec-id', 'e2', id, 'sh', '-c', 'exit 5']).code).toBe(5);
      // A non-root user owns its stdio pipes: it can reopen /dev/stdout, as with runc.
      expect(ctr(['task', 'exec', '--exec-id', 'e4', '--user', '65534', id, 'sh', '-c', 'echo x > /dev/stdout']).stdout).toBe('x\n');
      // ctr wants a terminal of its own for -t: give it one with script(1).
      const line = [CTR, '--address', SOCK, '--namespace', NS, 'task', 'exec', '-t', '--exec-id', 'e3', id, 'sh', '-c', 'tty; sleep 1']
        .map((a) => `'${a}'`).join(' ');
      const tty = run('script', ['-qec', line, '/dev/null'], { timeout: 30_000 });
      expect(tty.code).toBe(0);
      // (script(1) echoes a ^@ of its own; sleep: ctr resizes the pty after the start.)
      expect(tty.stdout).toMatch(/^(\^@)?\/dev\/pts\/\d+\r+\n/);
      remove(id);
    });

    it('task ps lists the container\'s processes (runtime ps)', () => {
      const id = detached([], ['sh', '-c', 'sleep 1000 & sleep 1000']);
      const ps = ctr(['task', 'ps', id]);
      expect(ps.stderr).toBe('');
      expect(ps.code).toBe(0);
      const pids = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]);
      expect(pids).toHaveLength(2);
      expect(pids).toContain(tasks()[id].pid);
      remove(id);
    });

    it('pause and resume', () => {
      const id = detached();
      const cg = `${CGROOT}/${id}`;
      expect(ctr(['task', 'pause', id]).code).toBe(0);
      expect(tasks()[id].status).toBe('PAUSED');
      expect(hostLimits(cg).freezer).toBe('FROZEN');
      expect(ctr(['task', 'resume', id]).code).toBe(0);
      expect(tasks()[id].status).toBe('RUNNING');
      expect(hostLimits(cg).freezer).toBe('THAWED');
      expect(ctr(['task', 'exec', '--exec-id', 'e1', id, 'true']).code).toBe(0);
      remove(id);
    });

    it('task metrics', () => {
      const id = detached(['--memory-limit', String(64 << 20)], ['sh', '-c', 'sleep 1000 & sleep 1000']);
      const m = ctr(['task', 'metrics', '--format', 'json', id]);
      expect(m.code).toBe(0);
      const data = JSON.parse(m.stdout);
      expect(data.pids.current).toBe(2);
      if (cgroupV2) {
        expect(data.memory.usage_limit).toBe(64 << 20);
        expect(data.memory.usage).toBeGreaterThan(0);
      } else {
        expect(data.memory.usage.limit).toBe(64 << 20);
        expect(data.memory.usage.usage).toBeGreaterThan(0);
      }
      remove(id);
    });

    it('limits and rlimits, seen in the cgroup files from the host and from inside', () => {
      const id = detached(['--memory-limit', String(48 << 20), '--cpus', '1.5']);
      expect(hostLimits(`${CGROOT}/${id}`)).toMatchObject({ memory: String(48 << 20), cpuQuota: '150000', cpuPeriod: '100000' });
      // ctr mounts no cgroupfs in the container: check from inside which cgroup it is in.
      const inside = ctr(['task', 'exec', '--exec-id', 'e1', id, 'cat', '/proc/self/cgroup']).stdout;
      expect(inside).toMatch(new RegExp(`^\\d+:${cgroupV2 ? '' : 'memory'}:${CGROOT}/${id}$`, 'm'));
      // containerd's default spec sets RLIMIT_NOFILE 1024:1024; the daemon itself runs with more.
      const ulimits = ['sh', '-c', 'ulimit -n; ulimit -Hn'];
      expect(runFg([], ulimits).stdout).toBe('1024\n1024\n');
      expect(ctr(['task', 'exec', '--exec-id', 'e2', id, ...ulimits]).stdout).toBe('1024\n1024\n');
      remove(id);
    });

    it('caps: --cap-add / --cap-drop in /proc/self/status and in effect', () => {
      const caps = (flags: string[]) => runFg(flags, ['grep', '^CapEff:', '/proc/self/status']).stdout.trim();
      expect(caps([])).toBe('CapEff:\t00000000a80425fb'); // containerd's default set
      expect(caps(['--cap-drop', 'CAP_CHOWN', '--cap-add', 'CAP_SYS_ADMIN'])).toBe('CapEff:\t00000000a82425fa');
      const chown = runFg(['--cap-drop', 'CAP_CHOWN'], ['sh', '-c', 'touch /tmp/f && chown 65534 /tmp/f']);
      expect(chown.code).toBe(1);
      expect(chown.stderr).toMatch(/Operation not permitted/);
    });

    it('seccomp: the default profile is in force and blocks a syscall', () => {
      const cmd = ['sh', '-c', 'grep ^Seccomp: /proc/self/status; busybox unshare -U true'];
      const r = runFg(['--seccomp'], cmd);
      expect(r.stdout).toBe('Seccomp:\t2\n');
      expect(r.stderr).toMatch(/unshare: unshare\(0x10000000\): Operation not permitted/);
      expect(r.code).toBe(1);
      // Without the profile the same call succeeds: it is seccomp that refused it.
      expect(runFg([], cmd)).toMatchObject({ code: 0, stdout: 'Seccomp:\t0\n' });
    });

    it('--read-only root', () => {
      const r = runFg(['--read-only'], ['sh', '-c', 'touch /x 2>&1; grep -E "^[^ ]+ / " /proc/mounts | cut -d" " -f4 | cut -d, -f1']);
      expect(r.stdout).toBe('touch: /x: Read-only file system\nro\n');
    });

    it('bind mounts (rw and ro) and tmpfs mounts', () => {
      const host = fs.mkdtempSync(path.join(tmp, `bind-${rt}-`));
      fs.writeFileSync(path.join(host, 'in'), 'from host\n');
      const r = runFg([
        '--mount', `type=bind,src=${host},dst=/data,options=rbind:rw`,
        '--mount', `type=bind,src=${host},dst=/ro,options=rbind:ro`,
        '--mount', 'type=tmpfs,src=tmpfs,dst=/scratch,options=size=1m:mode=1770',
      ], ['sh', '-c', 'cat /data/in; echo from container > /data/out; touch /ro/x 2>&1; grep " /scratch " /proc/mounts | cut -d" " -f2,3,4; stat -c %a /scratch']);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(host, 'out'), 'utf8')).toBe('from container\n');
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual(['from host', 'touch: /ro/x: Read-only file system']);
      expect(lines[2]).toMatch(/^\/scratch tmpfs rw,.*size=1024k/);
      expect(lines[3]).toBe('1770');
    });

    it('OOM kill is seen by the caller: exit 137 and a /tasks/oom event', async () => {
      const events = spawn(CTR, ['--address', SOCK, '--namespace', NS, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let seen = '';
      events.stdout!.on('data', (d) => (seen += d));
      try {
        await new Promise((r) => setTimeout(r, 500)); // subscribed before the container starts
        const id = newId();
        const r = ctr(['run', '--rm', ...R, '--memory-limit', String(32 << 20), IMAGE, id, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
        expect(r.code).toBe(137);
        expect(await waitUntil(() => new RegExp(`/tasks/oom .*"container_id":"${id}"`).test(seen), 10_000)).toBe(true);
      } finally {
        events.kill('SIGKILL');
      }
    });

    it('20 containers in a loop, nothing left behind', async () => {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 1)); // let vitest's worker RPC through (60 s limit)
        expect(runFg([], ['echo', `n${i}`])).toMatchObject({ code: 0, stdout: `n${i}\n` });
      }
      const live = ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean);
      const mine = (d: string) => d.startsWith(`${rt}-`) && !live.includes(d);
      expect(states().filter(mine)).toEqual([]);
      const cgdir = path.join('/sys/fs/cgroup', cgroupV2 ? '' : 'memory', CGROOT);
      expect(fs.readdirSync(cgdir).filter(mine)).toEqual([]);
    }, 300_000);

    it('a missing or non-executable command fails with the wording callers parse', () => {
      const [a, b] = [newId(), newId()];
      const missing = runFg([], ['/nonexistent'], a);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/no such file or directory/);
      const noexec = runFg([], ['/etc/passwd'], b);
      expect(noexec.code).not.toBe(0);
      expect(noexec.stderr).toMatch(/permission denied/);
      // Nothing half-created is left: no task, no container, no runtime state.
      const left = [...ctr(['task', 'ls', '-q']).stdout.split('\n'), ...ctr(['container', 'ls', '-q']).stdout.split('\n'),
        ...states()];
      expect(left.filter((x) => x === a || x === b)).toEqual([]);
    });
  });
});

