// Podman drives tsrun exactly as it drives runc (through conmon): create with --pid-file,
// --log-format json and a bundle podman made, start, state, exec (plain and with a tty through
// --console-socket), update, pause, kill and delete. The image is Debian's busybox, imported
// for the test. Every scenario runs with `--runtime /usr/sbin/runc` (Debian's runc: proves the
// test is fair) and `--runtime dist/tsrun`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason } from '../../conformance/lib/harness';
import { RUNC, RUNTIMES, hostLimits } from '../helpers/callers';

const podmanMissing = spawnSync('podman', ['--version']).status !== 0;
const skip = skipReason() ?? (podmanMissing ? 'podman is not installed (scripts/setup.sh installs it)'
  : !fs.existsSync(RUNC) ? `${RUNC} missing (scripts/setup.sh installs runc)` : undefined);
if (skip) console.warn(`[podman] skipped: ${skip}`);

const IMAGE = `localhost/tsrun-test-busybox:${process.pid}`;
// Podman asks for RLIMIT_NOFILE 1048576 by default; this machine's hard limit may be lower.
const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-podman-'));
const names: string[] = [];

describe.skipIf(skip)('podman', () => {
  beforeAll(async () => {
    const { makeRootfs } = await import(path.join(__dirname, '../../scripts/mkbundle.mjs'));
    makeRootfs(path.join(tmp, 'rootfs'));
    const tar = path.join(tmp, 'rootfs.tar');
    expect(spawnSync('tar', ['-C', path.join(tmp, 'rootfs'), '-cf', tar, '.']).status).toBe(0);
    const r = spawnSync('podman', ['import', tar, IMAGE], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Error/);
  });

  afterAll(() => {
    for (const n of names) spawnSync('podman', ['rm', '-f', '-t', '0', n]);
    spawnSync('podman', ['rmi', '-f', IMAGE]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe.each(RUNTIMES)('--runtime $name', ({ name: rt, path: bin }) => {
    function podman(args: string[], timeout = 60_000) {
      const r = spawnSync('podman', ['--runtime', bin, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    }
    let n = 0;
    const newName = () => {
      const c = `tsrun-podman-${rt}-${process.pid}-${++n}`;
      names.push(c);
      return c;
    };
    const detached = (extra: string[] = []) => {
      const c = newName();
      const r = podman(['run', '-d', '--name', c, ...LIMITS, ...extra, IMAGE, 'sleep', '1000']);
      expect(r.code, r.stderr).toBe(0);
      return c;
    };
    const inspect = (c: string, f: string) => podman(['inspect', '-f', f, c]).stdout.trim();

    it('runs a container in the foreground with podman\'s default seccomp profile and caps', () => {
      const r = podman(['run', '--rm', ...LIMITS, IMAGE, 'sh', '-c', 'echo hello; id -u; grep -E "^(Seccomp|CapEff):" /proc/self/status; exit 3']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^hello\n0\nCapEff:\t00000000800405fb\nSeccomp:\t2\n/);
      // A non-root user can reopen its stdout (conmon's pipes are handed to it).
      const u = podman(['run', '--rm', ...LIMITS, '-u', '1000', IMAGE, 'sh', '-c', 'echo to-stdout > /dev/stdout']);
      expect(u).toMatchObject({ code: 0, stdout: 'to-stdout\n' });
    });

    it('runs detached, execs into it (also with a tty), stops and removes it', () => {
      const name = detached();
      expect(inspect(name, '{{.State.Status}} {{.OCIRuntime}}')).toBe(`running ${bin}`);
      // The exec'd process shares the container's pid namespace: pid 1 is the sleep.
      const ex = podman(['exec', name, 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline']);
      expect(ex.code).toBe(0);
      expect(ex.stdout).toBe('sleep 1000 ');
      const tty = podman(['exec', '-t', '-u', '1000', name, 'sh', '-c', 'tty; stat -c %u $(tty)']);
      expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r\n1000\r\n$/);
      expect(podman(['stop', '-t', '1', name]).code).toBe(0);
      expect(inspect(name, '{{.State.Status}}')).toBe('exited');
      expect(podman(['rm', name]).code).toBe(0);
    });

    it('update, pause/unpause, top and stats', () => {
      const c = detached();
      const cg = inspect(c, '{{.State.CgroupPath}}');
      const u = podman(['update', '--cpus', '0.5', '--memory', '64m', c]);
      expect(u.code, u.stderr).toBe(0);
      expect(hostLimits(cg)).toMatchObject({ memory: String(64 << 20), cpuQuota: '50000' });
      expect(podman(['pause', c]).code).toBe(0);
      expect(inspect(c, '{{.State.Status}}')).toBe('paused');
      expect(hostLimits(cg).freezer).toBe('FROZEN');
      expect(podman(['unpause', c]).code).toBe(0);
      expect(inspect(c, '{{.State.Status}}')).toBe('running');
      expect(podman(['top', c, 'pid', 'args']).stdout).toMatch(/\n\s*1\s+sleep 1000\s*\n/);
      const st = podman(['stats', '--no-stream', '--format', '{{.PIDs}}', c]);
      expect(st.stdout.trim()).toBe('1');
      expect(podman(['rm', '-f', '-t', '0', c]).code).toBe(0);
    });

    it('OOM kill exits 137; a missing command 127, a non-executable one 126', () => {
      const oom = podman(['run', '--rm', ...LIMITS, '--memory', '32m', '--memory-swap', '32m', IMAGE,
        'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
      expect(oom.code).toBe(137);
      const missing = podman(['run', '--rm', ...LIMITS, IMAGE, '/nonexistent']);
      expect(missing.code).toBe(127);
      expect(missing.stderr).toMatch(/no such file or directory/);
      const noexec = podman(['run', '--rm', ...LIMITS, IMAGE, '/etc/passwd']);
      expect(noexec.code).toBe(126);
      expect(noexec.stderr).toMatch(/permission denied/);
    });
  });
});
