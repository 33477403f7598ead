// Podman drives tsrun exactly as it drives runc (through conmon): create with --pid-file,
// --log-format json and a bundle podman made, start, state, exec (plain and with a tty through
// --console-socket), kill and delete. The image is Debian's busybox, imported for the test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, skipReason } from '../../conformance/lib/harness';

const podmanMissing = spawnSync('podman', ['--version']).status !== 0;
const skip = skipReason() ?? (podmanMissing ? 'podman is not installed (scripts/setup.sh installs it)' : undefined);
if (skip) console.warn(`[podman] skipped: ${skip}`);

const IMAGE = `localhost/tsrun-test-busybox:${process.pid}`;
// Podman asks for RLIMIT_NOFILE 1048576 by default; this machine's hard limit may be lower.
const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-podman-'));
const names: string[] = [];

function podman(args: string[], timeout = 60_000) {
  const r = spawnSync('podman', ['--runtime', BIN, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe.skipIf(skip)('podman with --runtime tsrun', () => {
  beforeAll(async () => {
    const { makeRootfs } = await import(path.join(__dirname, '../../scripts/mkbundle.mjs'));
    makeRootfs(path.join(tmp, 'rootfs'));
    const tar = path.join(tmp, 'rootfs.tar');
    expect(spawnSync('tar', ['-C', path.join(tmp, 'rootfs'), '-cf', tar, '.']).status).toBe(0);
    const r = spawnSync('podman', ['import', tar, IMAGE], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Error/);
  });

  afterAll(() => {
    for (const n of names) spawnSync('podman', ['--runtime', BIN, 'rm', '-f', n]);
    spawnSync('podman', ['rmi', '-f', IMAGE]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs a container in the foreground with podman\'s default seccomp profile and caps', () => {
    const r = podman(['run', '--rm', ...LIMITS, IMAGE, 'sh', '-c', 'echo hello; id -u; grep -E "^(Seccomp|CapEff):" /proc/self/status; exit 3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^hello\n0\nCapEff:\t00000000800405fb\nSeccomp:\t2\n/);
  });

  it('runs detached, execs into it (also with a tty), stops and removes it', () => {
    const name = `tsrun-podman-${process.pid}`;
    names.push(name);
    expect(podman(['run', '-d', '--name', name, ...LIMITS, IMAGE, 'sleep', '100']).code).toBe(0);
    expect(podman(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim()).toBe('running');
    // The exec'd process shares the container's pid namespace: pid 1 is the sleep.
    const ex = podman(['exec', name, 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline']);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toBe('sleep 100 ');
    const tty = podman(['exec', '-t', name, 'sh', '-c', 'tty']);
    expect(tty.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/);
    expect(podman(['stop', '-t', '1', name]).code).toBe(0);
    expect(podman(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim()).toBe('exited');
    expect(podman(['rm', name]).code).toBe(0);
  });
});
