// Docker (Debian's dockerd 20.10 and its containerd 1.6 shim) drives tsrun as it drives runc.
// One private dockerd per file: its own data-root, exec-root, socket, pid file and cgroup
// parent, no networking (--bridge=none, no iptables), tsrun registered with --add-runtime.
// Every scenario runs twice, with `--runtime runc` (Debian's runc: proves the test is fair)
// and `--runtime tsrun`. The image is Debian's busybox-static, imported from a local tar.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, skipReason } from '../../conformance/lib/harness';
import { RUNC, cgroupV2, hostLimits, run, teardown, waitUntil } from '../helpers/callers';
import { busyboxRootfsTar } from '../helpers/images';

const DOCKERD = '/usr/sbin/dockerd';
const DOCKER = '/usr/bin/docker'; // Debian's client (another `docker` may come first in PATH)
const missing = [DOCKERD, DOCKER, RUNC].filter((p) => !fs.existsSync(p));
const skip = skipReason() ?? (missing.length ? `${missing.join(', ')} missing (scripts/setup.sh installs docker.io)` : undefined);
if (skip) console.warn(`[docker] skipped: ${skip}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-docker-'));
const SOCK = path.join(tmp, 'docker.sock');
const PIDFILE = path.join(tmp, 'dockerd.pid');
const CGPARENT = `/tsrun-test-docker-${process.pid}`;
const IMAGE = `tsrun-test-busybox:${process.pid}`;
const ENV = { ...process.env, DOCKER_CONFIG: path.join(tmp, 'client'), DOCKER_HOST: `unix://${SOCK}` };

function docker(args: string[], timeout = 60_000) {
  return run(DOCKER, args, { timeout, env: ENV });
}

// Outside the describe: vitest.skipIf still evaluates the body, so nothing starts here.
describe.skipIf(skip)('docker', () => {
  beforeAll(async () => {
    fs.writeFileSync(path.join(tmp, 'daemon.json'), '{}'); // not /etc/docker/daemon.json
    const log = fs.openSync(path.join(tmp, 'dockerd.log'), 'a');
    const { spawn } = await import('node:child_process');
    const d = spawn(DOCKERD, [
      '--config-file', path.join(tmp, 'daemon.json'),
      '--data-root', path.join(tmp, 'data'),
      '--exec-root', path.join(tmp, 'exec'),
      '--pidfile', PIDFILE,
      '--host', `unix://${SOCK}`,
      '--bridge=none', '--iptables=false', '--ip6tables=false',
      '--cgroup-parent', CGPARENT,
      '--add-runtime', `tsrun=${BIN}`,
    ], { stdio: ['ignore', log, log], detached: true });
    d.unref();
    fs.closeSync(log);
    const up = await waitUntil(() => docker(['version'], 10_000).code === 0, 60_000, 300);
    if (!up) throw new Error(`dockerd did not come up: ${fs.readFileSync(path.join(tmp, 'dockerd.log'), 'utf8').slice(-2000)}`);
    const tar = await busyboxRootfsTar(tmp);
    const imp = docker(['import', '--change', 'CMD ["sh"]', tar, IMAGE]);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    const ids = docker(['ps', '-aq'], 20_000).stdout.split('\n').filter(Boolean);
    if (ids.length) docker(['rm', '-f', ...ids], 60_000);
    await teardown(tmp, PIDFILE, CGPARENT);
  }, 120_000);

  describe.each([{ rt: 'runc' }, { rt: 'tsrun' }])('--runtime $rt', ({ rt }) => {
    const R = ['--runtime', rt, '--network', 'none'];
    let n = 0;
    const name = () => `tsrun-test-${rt}-${process.pid}-${++n}`;
    const inspect = (c: string, f: string) => docker(['inspect', '-f', f, c]).stdout.trim();
    /** A detached `sleep` container; returns its name. */
    const detached = (extra: string[] = [], cmd = ['sleep', '1000']) => {
      const c = name();
      const r = docker(['run', '-d', '--name', c, ...R, ...extra, IMAGE, ...cmd]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return c;
    };
    const cgroupOf = (c: string) => `${CGPARENT}/${inspect(c, '{{.Id}}')}`;

    it('run: output, stderr and exit codes', () => {
      const r = docker(['run', '--rm', ...R, IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(docker(['run', '--rm', ...R, IMAGE, 'true']).code).toBe(0);
      const user = docker(['run', '--rm', ...R, '-u', '1000:1000', IMAGE, 'sh', '-c', 'id -u; echo to-stdout > /dev/stdout; echo to-stderr > /dev/stderr']);
      expect(user).toMatchObject({ code: 0, stdout: '1000\nto-stdout\n', stderr: 'to-stderr\n' });
      // The runtime Docker used is the one asked for; an init killed by a signal (the
      // runtime's kill) exits 128 + 9.
      const c = detached();
      expect(inspect(c, '{{.HostConfig.Runtime}}')).toBe(rt);
      expect(docker(['kill', c]).code).toBe(0);
      expect(docker(['wait', c]).stdout).toBe('137\n');
      expect(inspect(c, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 137');
      expect(docker(['rm', c]).code).toBe(0);
    });

    it('run -d, ps, logs, stop, rm', async () => {
      const c = detached([], ['sh', '-c', 'echo started; trap "echo got TERM; exit 7" TERM; while true; do sleep 0.1; done']);
      expect(docker(['ps', '--filter', `name=${c}`, '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(new RegExp(`^${c} Up `));
      expect(await waitUntil(() => docker(['logs', c]).stdout === 'started\n', 10_000)).toBe(true);
      expect(docker(['stop', '-t', '20', c]).code).toBe(0);
      expect(inspect(c, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 7');
      expect(docker(['logs', c]).stdout).toBe('started\ngot TERM\n');
      expect(docker(['rm', c]).code).toBe(0);
      expect(docker(['ps', '-a', '--filter', `name=${c}`, '-q']).stdout).toBe('');
    });

    it('exec: env, user, workdir, tty, exit status', () => {
      const c = detached();
      const r = docker(['exec', '-e', 'FOO=bar baz', '-u', '65534:65534', '-w', '/tmp', c, 'sh', '-c', 'echo "$FOO"; id -u; id -g; pwd']);
      expect(r).toMatchObject({ code: 0, stdout: 'bar baz\n65534\n65534\n/tmp\n', stderr: '' });
      // The exec'd process shares the container's pid namespace: pid 1 is the sleep.
      expect(docker(['exec', c, 'cat', '/proc/1/cmdline']).stdout).toBe('sleep\u00001000\u0000');
      const tty = docker(['exec', '-t', c, 'sh', '-c', 'tty; stat -c %U /proc/self/fd/0']);
      expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r\nroot\r\n$/);
      // A non-root user owns its pty and its pipes (it can reopen /dev/stdout), as runc does.
      expect(docker(['exec', '-t', '-u', '65534', c, 'sh', '-c', 'stat -c "%u %g" $(tty)']).stdout).toBe('65534 5\r\n');
      expect(docker(['exec', '-u', '65534', c, 'sh', '-c', 'echo via-dev-stdout > /dev/stdout']).stdout).toBe('via-dev-stdout\n');
      expect(docker(['exec', c, 'sh', '-c', 'exit 5']).code).toBe(5);
      expect(docker(['rm', '-f', c]).code).toBe(0);
    });

    it('top lists the container\'s processes (runtime ps)', () => {
      const c = detached();
      const pid = inspect(c, '{{.State.Pid}}');
      const top = docker(['top', c]);
      expect(top.stderr).toBe('');
      expect(top.code).toBe(0);
      const rows = top.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
      expect(rows.map((f) => [f[1], f.slice(7).join(' ')])).toEqual([[pid, 'sleep 1000']]);
      expect(docker(['rm', '-f', c]).code).toBe(0);
    });

    it('update: memory, cpus, pids, seen in the cgroup files', () => {
      const c = detached(['--memory', '96m', '--memory-swap', '192m']);
      const cg = cgroupOf(c);
      expect(hostLimits(cg).memory).toBe(String(96 << 20));
      const u = docker(['update', '--memory', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--pids-limit', '50', c]);
      expect(u.stderr).toBe('');
      expect(u.code).toBe(0);
      const l = hostLimits(cg);
      expect(l.memory).toBe(String(64 << 20));
      if (l.memsw !== undefined) expect(l.memsw).toBe(String(128 << 20));
      expect([l.cpuQuota, l.cpuPeriod, l.pids]).toEqual(['50000', '100000', '50']);
      expect(inspect(c, '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}')).toBe(`${64 << 20} 500000000 50`);
      expect(docker(['rm', '-f', c]).code).toBe(0);
    });

    it('pause, update while paused, unpause', () => {
      const c = detached();
      const cg = cgroupOf(c);
      expect(docker(['pause', c]).code).toBe(0);
      expect(inspect(c, '{{.State.Status}}')).toBe('paused');
      expect(hostLimits(cg).freezer).toBe('FROZEN');
      // A paused container can be updated and stays paused.
      const u = docker(['update', '--pids-limit', '40', c], 30_000);
      expect(u.stderr).toBe('');
      expect(hostLimits(cg)).toMatchObject({ pids: '40', freezer: 'FROZEN' });
      expect(docker(['unpause', c]).code).toBe(0);
      expect(inspect(c, '{{.State.Status}}')).toBe('running');
      expect(hostLimits(cg).freezer).toBe('THAWED');
      expect(docker(['exec', c, 'true']).code).toBe(0);
      expect(docker(['rm', '-f', c]).code).toBe(0);
    });

    it('stats --no-stream', () => {
      // Two processes: busybox sh execs its last command.
      const c = detached(['--memory', '64m'], ['sh', '-c', 'sleep 1000 & sleep 1000']);
      const s = docker(['stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}|{{.PIDs}}', c], 60_000);
      expect(s.stderr).toBe('');
      const [nm, mem, pids] = s.stdout.trim().split('|');
      expect(nm).toBe(c);
      expect(mem).toMatch(/^[\d.]+[KM]iB \/ 64MiB$/);
      expect(pids).toBe('2');
      expect(docker(['rm', '-f', c]).code).toBe(0);
    });

    it('limits and ulimits, seen in the cgroup files from the host and from inside', () => {
      const c = detached(['--memory', '48m', '--cpus', '1.5', '--pids-limit', '30',
        '--ulimit', 'nofile=512:1024', '--ulimit', 'nproc=100:200']);
      expect(hostLimits(cgroupOf(c))).toMatchObject({ memory: String(48 << 20), cpuQuota: '150000', cpuPeriod: '100000', pids: '30' });
      // The container's own view of its cgroup (the /sys/fs/cgroup mount binds its real path).
      const inside = cgroupV2
        ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
        : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max';
      expect(docker(['exec', c, 'sh', '-c', inside]).stdout).toBe(`${48 << 20}\n30\n`);
      const ulimits = ['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'];
      expect(docker(['run', '--rm', ...R, '--ulimit', 'nofile=512:1024', '--ulimit', 'nproc=100:200', IMAGE, ...ulimits]).stdout)
        .toBe('512\n1024\n100\n200\n');
      // An exec'd process gets the container's rlimits too. runc 1.1.5 races with its Go
      // runtime, which raises the soft RLIMIT_NOFILE to the hard limit (opencontainers/runc#4195,
      // fixed later in the 1.1 branch), so for runc either soft value is accepted; tsrun must give 512.
      const soft = rt === 'runc' ? '(512|1024)' : '512';
      expect(docker(['exec', c, ...ulimits]).stdout).toMatch(new RegExp(`^${soft}\\n1024\\n100\\n200\\n$`));
      expect(docker(['rm', '-f', c]).code).toBe(0);
    });

    it('caps: --cap-add / --cap-drop in /proc/self/status and in effect', () => {
      const caps = (extra: string[]) =>
        docker(['run', '--rm', ...R, ...extra, IMAGE, 'grep', '^CapEff:', '/proc/self/status']).stdout.trim();
      expect(caps([])).toBe('CapEff:\t00000000a80425fb'); // Docker's default set
      expect(caps(['--cap-drop', 'CHOWN', '--cap-add', 'SYS_ADMIN'])).toBe('CapEff:\t00000000a82425fa');
      const chown = docker(['run', '--rm', ...R, '--cap-drop', 'CHOWN', IMAGE, 'sh', '-c', 'touch /tmp/f && chown 65534 /tmp/f']);
      expect(chown.code).toBe(1);
      expect(chown.stderr).toMatch(/Operation not permitted/);
    });

    it('seccomp: the default profile is in force and blocks a syscall', () => {
      const r = docker(['run', '--rm', ...R, IMAGE, 'sh', '-c', 'grep ^Seccomp: /proc/self/status; busybox unshare -U true']);
      expect(r.stdout).toBe('Seccomp:\t2\n');
      expect(r.stderr).toMatch(/unshare: unshare\(0x10000000\): Operation not permitted/);
      expect(r.code).toBe(1);
      // The same call without the profile succeeds: it is seccomp that refused it.
      const u = docker(['run', '--rm', ...R, '--security-opt', 'seccomp=unconfined', IMAGE, 'sh', '-c', 'grep ^Seccomp: /proc/self/status; busybox unshare -U true']);
      expect(u).toMatchObject({ code: 0, stdout: 'Seccomp:\t0\n' });
    });

    it('--read-only root, with a writable --tmpfs', () => {
      const r = docker(['run', '--rm', ...R, '--read-only', '--tmpfs', '/run', IMAGE, 'sh', '-c',
        'touch /x 2>&1; grep -E "^[^ ]+ / " /proc/mounts | cut -d" " -f4 | cut -d, -f1; touch /run/ok && echo run-writable']);
      expect(r.stdout).toMatch(/^touch: \/x: Read-only file system\nro\nrun-writable\n$/);
    });

    it('bind mounts (rw and ro) and tmpfs mounts', () => {
      const host = fs.mkdtempSync(path.join(tmp, `bind-${rt}-`));
      fs.writeFileSync(path.join(host, 'in'), 'from host\n');
      const r = docker(['run', '--rm', ...R, '-v', `${host}:/data`, '-v', `${host}:/ro:ro`,
        '--tmpfs', '/scratch:size=1m,mode=1770', '--mount', 'type=tmpfs,destination=/t2,tmpfs-size=2097152',
        IMAGE, 'sh', '-c',
        'cat /data/in; echo from container > /data/out; touch /ro/x 2>&1; ' +
        'grep -E " /(scratch|t2) " /proc/mounts | cut -d" " -f2,3,4; stat -c %a /scratch']);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(host, 'out'), 'utf8')).toBe('from container\n');
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual(['from host', 'touch: /ro/x: Read-only file system']);
      expect(lines.find((l) => l.startsWith('/scratch '))).toMatch(/^\/scratch tmpfs rw,.*size=1024k/);
      expect(lines.find((l) => l.startsWith('/t2 '))).toMatch(/^\/t2 tmpfs rw,.*size=2048k/);
      expect(lines.at(-2)).toBe('1770');
    });

    it('OOM kill is seen by the caller: exit 137, OOMKilled true', async () => {
      const c = name();
      const r = docker(['run', '--name', c, ...R, '--memory', '32m', '--memory-swap', '32m', IMAGE,
        'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], 60_000);
      expect(r.code).toBe(137);
      // The shim's OOM event and the exit travel separately; under load dockerd can record
      // the exit first and OOMKilled a moment later (seen once with each runtime's run).
      let seen = '';
      for (let i = 0; i < 50 && seen !== '137 true'; i++) {
        seen = inspect(c, '{{.State.ExitCode}} {{.State.OOMKilled}}');
        if (seen !== '137 true') await new Promise((res) => setTimeout(res, 200));
      }
      expect(seen).toBe('137 true');
      expect(docker(['rm', c]).code).toBe(0);
    });

    it('20 containers in a loop, nothing left behind', async () => {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 1)); // let vitest's worker RPC through (60 s limit)
        const r = docker(['run', '--rm', ...R, IMAGE, 'echo', `n${i}`]);
        expect(r).toMatchObject({ code: 0, stdout: `n${i}\n` });
      }
      // Every container's cgroup is gone, as is its state in the runtime's root.
      const left = fs.readdirSync(path.join('/sys/fs/cgroup', cgroupV2 ? '' : 'memory', CGPARENT));
      const running = docker(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
      expect(left.filter((d) => /^[0-9a-f]{64}$/.test(d) && !running.includes(d))).toEqual([]);
      // dockerd 20.10 gives every runc-v2 runtime the same --root.
      const stateRoot = path.join(tmp, 'exec/runtime-runc/moby');
      if (fs.existsSync(stateRoot)) expect(fs.readdirSync(stateRoot).filter((d) => !running.includes(d))).toEqual([]);
    }, 300_000);

    it('a missing command exits 127, a non-executable one 126', () => {
      const missing = docker(['run', '--rm', ...R, IMAGE, '/nonexistent']);
      expect(missing.code).toBe(127);
      expect(missing.stderr).toMatch(/no such file or directory/);
      const noexec = docker(['run', '--rm', ...R, IMAGE, '/etc/passwd']);
      expect(noexec.code).toBe(126);
      expect(noexec.stderr).toMatch(/permission denied/);
      // Nothing is left running or half-created.
      expect(docker(['ps', '-q', '--filter', 'status=created']).stdout).toBe('');
    });
  });
});
