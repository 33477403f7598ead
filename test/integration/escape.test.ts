// Attack tests: each one tries, as an attacker with a container (or a writable directory
// the caller uses) would, one class of known runtime escapes (SECURITY.md lists them).
// Races run against a racer process that loops until stopped, for a bounded number of
// creates; every create must either fail closed or produce a container that is intact.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
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
  // The class 1 payload runs inside busybox containers: static.
  const w = spawnSync('cc', ['-O2', '-static', '-o', path.join(s.tmp, 'exe-writer'), path.join(__dirname, '../helpers/exe-writer.c')], { encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`cc -static exe-writer.c failed: ${w.stderr}`);
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

/**
 * Let the worker's event loop run between synchronous runtime calls. A loop of spawnSync
 * calls that blocks for a minute makes vitest's worker RPC (onTaskUpdate, 60 s) time out:
 * the expired timer fires before the poll phase reads the reply. CI failed that way.
 */
const yieldToLoop = () => new Promise<void>((r) => setTimeout(r, 1));

function oneLine(stderr: string): void {
  expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** How many raced creates each race test runs (bounded: CI time); also at most RACE_MS. */
const ATTEMPTS = Number(process.env.ESCAPE_ATTEMPTS || 200);
const RACE_MS = Number(process.env.ESCAPE_RACE_MS || 45_000);

/** A bundle whose /dev and /proc mountpoint live in its rootfs directory, where a racer
 *  (any process that can write the rootfs: another container sharing it, a volume) can
 *  swap entries while tsrun builds the container. */
async function racedBundle(label: string, mutate?: (c: Record<string, any>) => void) {
  const b = await s.bundle(label, {
    args: ['sleep', '100'],
    mutate: (c) => {
      c.root.readonly = false;
      c.mounts = c.mounts.filter((m: { destination: string }) => m.destination === '/proc' || m.destination === '/m');
      mutate?.(c);
    },
  });
  const rootfs = path.join(b.dir, 'rootfs');
  spawnSync('mknod', ['-m', '666', path.join(rootfs, 'dev/null'), 'c', '1', '3']);
  spawnSync('mknod', ['-m', '666', path.join(rootfs, 'dev/zero'), 'c', '1', '5']);
  return { b, rootfs };
}

/**
 * Create (and delete) containers from b while a racer runs, up to ATTEMPTS times or RACE_MS.
 * A create may fail (fail closed); after each one that succeeds, check(pid) returns what is
 * wrong with the container, or '' when it is intact. Returns the counts; throws on the first
 * violation.
 */
async function raceCreates(b: { dir: string }, check: (pid: number) => string): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  const end = Date.now() + RACE_MS;
  for (let i = 0; i < ATTEMPTS && Date.now() < end; i++) {
    await yieldToLoop();
    const id = s.id('race');
    const r = s.rt(['create', '--bundle', b.dir, id]);
    try {
      if (r.code !== 0) {
        failed++;
        oneLine(r.stderr);
        continue;
      }
      ok++;
      const wrong = check(s.state(id).pid!);
      if (wrong) throw new Error(`attempt ${i + 1} (${ok} created, ${failed} refused): ${wrong}`);
    } finally {
      s.rt(['delete', '--force', id]);
    }
  }
  console.log(`[escape] ${ok} containers created intact, ${failed} creates failed closed`);
  return { ok, failed };
}

/** Mount table of pid: [mount id, parent id, mount point, root, fstype, per-mount options]. */
function mounts(pid: number): { id: string; parent: string; point: string; root: string; fstype: string; opts: string }[] {
  return fs
    .readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pre, post] = l.split(' - ');
      const f = pre.split(' ');
      return { id: f[0], parent: f[1], point: f[4], root: f[3], fstype: post.split(' ')[0], opts: f[5] };
    });
}

const MASKED_FILES = ['/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug'];

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
      // After pid_max the kernel wraps (to 300, never below 2): skip 0 and 1, which would
      // otherwise both name pid 1 and collide (EEXIST flaked once the pids had wrapped).
      const pid = (last + i) % max;
      if (pid < 2) continue;
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

  // ---- class 2: --preserve-fds and host fds ----
  it('2: --preserve-fds refuses fds the caller did not pass (tsrun\'s own), for run and exec', async () => {
    // The container would write its pid into any host cgroup.procs it got, leaving its cgroup.
    const attack = 'for f in /proc/self/fd/*; do l=$(readlink $f); echo "$l"; case "$l" in *cgroup.procs) echo 1 > $f;; esac; done';
    const b = await s.bundle('pfds', { args: ['sh', '-c', attack] });
    const extra = path.join(s.tmp, 'pfd3');
    fs.writeFileSync(extra, '');
    const fd3 = fs.openSync(extra, 'r');
    try {
      for (const [n, stdio, bad] of [
        [8, ['ignore', 'pipe', 'pipe'], 3],
        [3, ['ignore', 'pipe', 'pipe', fd3], 4],
      ] as const) {
        const id = s.id('pfds');
        const r = spawnSync(BIN, ['--root', s.root, 'run', '--preserve-fds', String(n), '--bundle', b.dir, id], { stdio: stdio as never, timeout: 30_000, encoding: 'utf8' });
        expect(r.stdout, `container saw: ${r.stdout}`).toBe('');
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`--preserve-fds ${n}: fd ${bad} was not passed to tsrun`));
        oneLine(r.stderr);
        expect(s.leftovers(id, b)).toEqual([]);
      }
      const id = s.id('pfdexec');
      const sb = await s.bundle('pfdexec', { args: ['sleep', '100'] });
      s.create(id, sb);
      const r = spawnSync(BIN, ['--root', s.root, 'exec', '--preserve-fds', '5', id, 'sh', '-c', attack], { stdio: ['ignore', 'pipe', 'pipe', fd3], timeout: 30_000, encoding: 'utf8' });
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--preserve-fds 5: fd 4 was not passed to tsrun/);
      s.ok(['delete', '--force', id]);
    } finally {
      fs.closeSync(fd3);
    }
  });

  it('2: a created init holds no fd of tsrun\'s (host cgroup files, sockets, epoll): only stdio, exec.fifo and its own procfs', async () => {
    const b = await s.bundle('initfds', { args: ['true'] });
    const id = s.id('initfds');
    s.create(id, b);
    const pid = s.state(id).pid!;
    const fds = fs.readdirSync(`/proc/${pid}/fd`).map((n) => [Number(n), fs.readlinkSync(`/proc/${pid}/fd/${n}`)] as const);
    // exec.fifo is the init's own (O_PATH, opened by stage 1). An fd this test process
    // holds itself (vitest's) is not tsrun's; it is closed at the init's execve anyway.
    const ours = (n: number, l: string) => fs.existsSync(`/proc/self/fd/${n}`) && fs.readlinkSync(`/proc/self/fd/${n}`) === l;
    // The container's own procfs (the init reopens exec.fifo through it): not the host's.
    const ownProc = (n: number) => {
      const st = fs.statSync(`/proc/${pid}/fd/${n}`);
      return st.ino === 1 && st.dev !== fs.statSync('/proc').dev;
    };
    const extra = fds.filter(([n, l]) => n > 2 && l !== path.join(s.stateDir(id), 'exec.fifo') && !ours(n, l) && !ownProc(n));
    expect(extra).toEqual([]);
    s.ok(['delete', '--force', id]);
  });

  // ---- class 3: maskedPaths bind a /dev/null the racer swapped (CVE-2025-31133) ----
  it('3: masks are always the real /dev/null, however /dev/null is swapped during create', async () => {
    const { b, rootfs } = await racedBundle('mask');
    // The racer makes /dev/null, at any instant, either the node or a symlink to a file the
    // attacker would like writable in place of a mask (here a harmless stand-in).
    fs.writeFileSync(path.join(rootfs, 'etc/evil'), 'evil\n');
    fs.symlinkSync('../etc/evil', path.join(rootfs, 'dev/.evil'));
    const stop = race(path.join(rootfs, 'dev/null'), path.join(rootfs, 'dev/.evil'));
    try {
      await raceCreates(b, (pid) => {
        for (const m of MASKED_FILES) {
          let st: fs.Stats;
          try {
            st = fs.statSync(`/proc/${pid}/root${m}`);
          } catch {
            continue; // not on this kernel
          }
          if (!st.isCharacterDevice() || st.rdev !== 259) return `${m} is masked by ${st.isFile() ? 'a regular file' : 'something'} (rdev ${st.rdev}), not /dev/null`;
        }
        return '';
      });
    } finally {
      await stop();
    }
    expect(fs.readFileSync(path.join(rootfs, 'etc/evil'), 'utf8')).toBe('evil\n');
  });

  // ---- class 4: /proc writes follow a renamed proc mountpoint (CVE-2025-52881) ----
  it('4: sysctls, masks and read-only paths land in the procfs tsrun mounted, however /proc is swapped', async () => {
    const { b, rootfs } = await racedBundle('procswap', (c) => (c.linux.sysctl = { 'kernel.shmmax': '12345678' }));
    // A fake /proc: the same names as plain files and dirs.
    const fake = path.join(rootfs, 'fake');
    fs.mkdirSync(path.join(fake, 'sys/kernel'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'sys/kernel/shmmax'), '');
    for (const f of MASKED_FILES) fs.writeFileSync(path.join(fake, path.basename(f)), '');
    const stop = race(path.join(rootfs, 'proc'), fake);
    // The racer keeps swapping the names: a file seen may be gone (renamed) when read.
    const readFake = (f: string) => {
      try {
        return fs.readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    try {
      await raceCreates(b, (pid) => {
        for (const d of ['proc', 'fake']) {
          const f = path.join(rootfs, d, 'sys/kernel/shmmax');
          if (readFake(f) !== '') return `the sysctl was written into the fake ${f}`;
        }
        // By mount id, not by path: the racer keeps renaming the procfs's mountpoint while
        // mountinfo is read, so one read can show it (and mounts below it) under both names.
        const ms = mounts(pid);
        const procRoot = ms.find((m) => m.fstype === 'proc' && m.root === '/');
        if (!procRoot) return 'no procfs mounted';
        const below = (name: string) => ms.find((m) => m.parent === procRoot.id && path.posix.basename(m.point) === name);
        const sys = below('sys');
        if (!sys || sys.fstype !== 'proc' || !sys.opts.split(',').includes('ro')) return `the procfs at ${procRoot.point} has no read-only sys (${JSON.stringify(sys)})`;
        if (!below('keys')) return `${procRoot.point}/keys of the real procfs is not masked`;
        return '';
      });
    } finally {
      await stop();
    }
  });

  // ---- class 5: device node chmod/chown follow a swapped symlink ----
  it('5: creating device nodes never changes the mode or owner of a file a swapped symlink points to', async () => {
    const { b, rootfs } = await racedBundle('devswap');
    const secret = path.join(s.tmp, 'secret'); // a host file outside the rootfs
    fs.writeFileSync(secret, 'secret\n', { mode: 0o600 });
    fs.chownSync(secret, 4242, 4242);
    fs.symlinkSync(secret, path.join(rootfs, 'dev/.evil'));
    const stop = race(path.join(rootfs, 'dev/zero'), path.join(rootfs, 'dev/.evil'));
    try {
      await raceCreates(b, () => {
        const st = fs.statSync(secret);
        if ((st.mode & 0o7777) !== 0o600 || st.uid !== 4242 || st.gid !== 4242) {
          return `host file ${secret} became mode ${(st.mode & 0o7777).toString(8)} owner ${st.uid}:${st.gid}`;
        }
        return '';
      });
    } finally {
      await stop();
    }
    const st = fs.statSync(secret);
    expect([(st.mode & 0o7777).toString(8), st.uid, st.gid]).toEqual(['600', 4242, 4242]);
  });

  // ---- class 1: CVE-2019-5736, writing the runtime binary through /proc/<pid>/exe ----
  it('1: a container with CAP_SYS_PTRACE cannot write the tsrun binary through /proc/<pid>/exe of the created init or of exec\'d processes', async () => {
    const sha = () => createHash('sha256').update(fs.readFileSync(BIN)).digest('hex');
    const before = sha();
    const b = await s.bundle('exe', { args: ['sleep', '100'] });
    s.editConfig(b, (c) => {
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_PTRACE');
    });
    fs.copyFileSync(path.join(s.tmp, 'exe-writer'), path.join(b.dir, 'rootfs/exe-writer'));
    fs.chmodSync(path.join(b.dir, 'rootfs/exe-writer'), 0o755);
    const log = path.join(b.host, 'log');
    const id = s.id('exe');
    try {
      s.create(id, b);
      // The attacker joins the created (not started) container: pid 1 is tsrun's init.
      s.ok(['exec', '-d', id, '/exe-writer', '/m/log']); // config.process has CAP_SYS_PTRACE
      expect(await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('scanning'), 10_000)).toBe(true);
      await sleep(300);
      // Now every exec'd process passes through the container's pid namespace as a copy of
      // the runtime before it execs its program: the attacker races for that window.
      s.start(id);
      const end = Date.now() + 20_000;
      for (let i = 0; i < 40 && Date.now() < end; i++) {
        await yieldToLoop();
        s.ok(['exec', id, 'true']);
      }
    } finally {
      s.rt(['delete', '--force', id]);
    }
    const seen = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    expect(seen).toMatch(/^holding pid 1 exe /m); // the attacker did reach the init's exe
    expect(seen).not.toContain('WROTE');
    expect(sha()).toBe(before);
  });
});

// ---- stdio /dev/null reopened in the container (runc's behaviour; CRIU needs it) ----
describe.skipIf(skip)('stdio /dev/null', () => {
  /** mnt_id of the container's stdin and the id of the mount holding its /dev. */
  const probe = "sed -n 's/^mnt_id:\\t*//p' /proc/self/fdinfo/0; awk '$5 == \"/dev\" {print $1}' /proc/self/mountinfo; cat";

  it('a caller\'s /dev/null stdin becomes the container\'s own /dev/null', async () => {
    const b = await s.bundle('devnull', { args: ['sh', '-c', probe] });
    const r = s.ok(['run', '--bundle', b.dir, s.id('devnull')]); // the harness gives stdin = /dev/null
    const [stdinMnt, devMnt, ...rest] = r.stdout.split('\n');
    expect(stdinMnt).toMatch(/^\d+$/);
    expect(stdinMnt).toBe(devMnt);
    expect(rest.join('')).toBe('');
  });

  it('a /dev/null planted in the rootfs as a symlink is not opened: stdin stays the caller\'s', async () => {
    const b = await s.bundle('devnull-planted', {
      args: ['sh', '-c', probe],
      mutate: (c) => {
        c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/dev' && !m.destination.startsWith('/dev/'));
      },
    });
    const rootfs = path.join(b.dir, 'rootfs');
    fs.writeFileSync(path.join(rootfs, 'etc/secret'), 'secret\n');
    fs.mkdirSync(path.join(rootfs, 'dev'), { recursive: true });
    fs.rmSync(path.join(rootfs, 'dev/null'), { force: true });
    fs.symlinkSync('../etc/secret', path.join(rootfs, 'dev/null'));
    const r = s.rt(['run', '--bundle', b.dir, s.id('devnull-planted')]);
    expect(r.stdout).not.toContain('secret');
    if (r.code === 0) expect(r.stdout.split('\n')[0]).not.toBe(r.stdout.split('\n')[1]);
    else oneLine(r.stderr);
  });
});
