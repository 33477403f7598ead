// runc parity (issue 13): each scenario runs the same steps against Debian's runc
// (/usr/sbin/runc, 1.1.5) and tsrun, each with a private --root and a bundle made by its own
// `spec` command and edited as people do (busybox rootfs), and expects the same outcome.
// Where runc is wrong by the runtime-spec, the test says so and checks tsrun only.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../..');
// TSRUN_CLI=EXECUTABLE tests another build (e.g. main's, to see a test fail before a fix).
const DIST = process.env.TSRUN_CLI ? path.resolve(process.env.TSRUN_CLI) : path.join(REPO, 'dist/tsrun');
const RUNC = '/usr/sbin/runc';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!fs.existsSync(DIST)) return `${DIST} is not built (npm run build)`;
  if (!fs.existsSync(RUNC)) return `${RUNC} missing (apt-get install runc)`;
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox missing (apt-get install busybox-static)';
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`[parity] skipped: ${skip}`);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Config = Record<string, any>;

let tmp = '';
let makeRootfs: (dir: string) => void;

/** One runtime under test: its binary, a private --root, the containers it made. */
class Runtime {
  readonly root: string;
  readonly ids = new Set<string>();
  constructor(
    readonly name: 'runc' | 'tsrun',
    readonly bin: string,
  ) {
    this.root = path.join(tmp, `${name}-root`);
  }

  /** Run `<bin> --root R ...args`; stdio to files (a created container inherits them). */
  run(args: string[], o: { global?: string[]; input?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Result {
    const out = path.join(tmp, `${this.name}.out`);
    const err = path.join(tmp, `${this.name}.err`);
    const fo = fs.openSync(out, 'w');
    const fe = fs.openSync(err, 'w');
    const opts: SpawnSyncOptions = { stdio: [o.input === undefined ? 'ignore' : 'pipe', fo, fe], timeout: o.timeout ?? 30_000, env: o.env ?? process.env };
    if (o.input !== undefined) opts.input = o.input;
    const r = spawnSync(this.bin, ['--root', this.root, ...(o.global ?? []), ...args], opts);
    fs.closeSync(fo);
    fs.closeSync(fe);
    return { code: r.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  }

  /** A container id unique to this test run and runtime; deleted in afterAll. */
  id(name: string): string {
    const v = `par-${process.pid}-${this.name}-${name}`;
    this.ids.add(v);
    return v;
  }

  /** A bundle from `<runtime> spec`, edited: no terminal, given args, then mutate. */
  bundle(name: string, args: string[], mutate?: (c: Config) => void, o: { specArgs?: string[] } = {}): string {
    const dir = path.join(tmp, `${this.name}-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync(this.bin, ['spec', ...(o.specArgs ?? [])], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${this.name} spec: ${r.stderr}`);
    makeRootfs(path.join(dir, 'rootfs'));
    const c: Config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    c.process.terminal = false;
    c.process.args = args;
    mutate?.(c);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
    return dir;
  }

  private readonly live = new Map<string, string>();

  /** A running `sleep` container from a bundle made with these edits; one per name. */
  started(name: string, mutate?: (c: Config) => void): string {
    const have = this.live.get(name);
    if (have) return have;
    const id = this.id(name);
    this.live.set(name, id);
    const b = this.bundle(name, ['sleep', '300'], mutate);
    const r = this.run(['run', '-d', '-b', b, id]);
    if (r.code !== 0) throw new Error(`${this.name} run -d ${id}: ${r.stderr}`);
    return id;
  }

  cleanup(): void {
    for (const id of this.ids) this.run(['delete', '--force', id]);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

let runc: Runtime;
let tsrun: Runtime;

/** Run a scenario against runc, then tsrun, and return both outcomes. */
async function both<T>(scenario: (rt: Runtime) => T | Promise<T>): Promise<{ runc: T; tsrun: T }> {
  return { runc: await scenario(runc), tsrun: await scenario(tsrun) };
}

async function waitFor(fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last line of stderr without the runtime's prefix and log decoration. */
const errLine = (r: Result) => r.stderr.trim().split('\n').pop() ?? '';

beforeAll(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-parity-'));
  ({ makeRootfs } = (await import(pathToFileURL(path.join(REPO, 'scripts/mkbundle.mjs')).href)) as { makeRootfs: (d: string) => void });
  runc = new Runtime('runc', RUNC);
  tsrun = new Runtime('tsrun', DIST);
});

// Deleting some 40 containers takes longer than vitest's default hook timeout.
afterAll(() => {
  if (skip) return;
  runc.cleanup();
  tsrun.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 300_000);

describe.skipIf(!!skip)('runc parity', () => {
  it.each([[[]], [['--rootless']]])('a bundle from `spec %s` runs and execs without a warning, with the same capabilities', async (specArgs) => {
    const show = ['grep', '^Cap', '/proc/self/status'];
    const r = await both((rt) => {
      const name = `plainspec${specArgs.join('')}`;
      const id = rt.id(name);
      const b = rt.bundle(name, ['sleep', '300'], undefined, { specArgs });
      const run = rt.run(['run', '-d', '-b', b, id]);
      const exec = rt.run(['exec', id, ...show]);
      const execCap = rt.run(['exec', '--cap', 'CAP_SYS_ADMIN', id, ...show]);
      rt.run(['delete', '--force', id]);
      return { run, exec, execCap };
    });
    for (const res of [r.runc, r.tsrun]) {
      for (const x of [res.run, res.exec, res.execCap]) {
        expect(x.code, x.stderr).toBe(0);
        expect(x.stderr).toBe('');
      }
      // AUDIT_WRITE, KILL, NET_BIND_SERVICE; no ambient set raised.
      expect(res.exec.stdout).toMatch(/CapEff:\t0000000020000420\nCapBnd:\t0000000020000420\nCapAmb:\t0000000000000000\n$/);
      expect(res.execCap.stdout).toMatch(/CapEff:\t0000000020200420\n/);
    }
    expect(r.tsrun.exec.stdout).toBe(r.runc.exec.stdout);
    expect(r.tsrun.execCap.stdout).toBe(r.runc.execCap.stdout);
  });

  it('events streams stats every --interval after the container stops, and ends (status 0) when it is deleted', async () => {
    const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
    const r = await both(async (rt) => {
      const id = rt.started('events');
      const ev = spawn(rt.bin, ['--root', rt.root, 'events', '--interval', '100ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      ev.stdout.on('data', (d) => (out += d));
      ev.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((res) => ev.on('exit', (code) => res(code)));
      let code: number | null | undefined;
      void exited.then((c) => (code = c));
      const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      try {
        await waitFor(() => lines().length >= 1, 20_000);
        expect(rt.run(['kill', id, 'KILL']).code).toBe(0);
        await waitFor(() => JSON.parse(rt.run(['state', id]).stdout).status === 'stopped', 20_000);
        const atStop = lines().length;
        // Still streaming while stopped (v1), or ended (v2).
        await waitFor(() => code !== undefined || lines().length >= atStop + 3, 20_000).catch(() => undefined);
        const afterStop = { running: code === undefined, more: lines().length - atStop };
        expect(rt.run(['delete', id]).code).toBe(0);
        await waitFor(() => code !== undefined, 20_000);
        const last = lines().at(-1);
        return { ...afterStop, code, err, type: last?.type, id: last?.id };
      } finally {
        ev.kill('SIGKILL');
      }
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.code, res.err).toBe(0);
      expect(res.type).toBe('stats');
      expect(res.id).toMatch(/-events$/);
      if (v2) continue;
      // cgroup v1: the stopped container's cgroup is still there: its (empty) stats go on.
      expect(res.running).toBe(true);
      expect(res.more).toBeGreaterThanOrEqual(3);
    }
    expect(r.tsrun.err).toBe('');
  });

  it('run is the child subreaper (reaps orphans, keeps the init status) unless --no-subreaper', async () => {
    /** PPid and state of a process from /proc; null once it is gone (reaped). */
    const proc = (pid: number) => {
      try {
        const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        return { ppid: Number(/^PPid:\s*(\d+)/m.exec(st)![1]), state: /^State:\s*(\S)/m.exec(st)![1] };
      } catch {
        return null;
      }
    };
    const r = await both(async (rt) => {
      const out = [];
      for (const flags of [[], ['--no-subreaper']]) {
        const name = `subreaper${flags.length}`;
        const host = path.join(tmp, `${rt.name}-${name}-m`);
        fs.mkdirSync(host);
        // No pid namespace: the double-forked children's orphans go to the nearest subreaper.
        const script =
          '(sleep 300 >/dev/null 2>&1 & echo $! >/m/long); (sleep 0.1 & echo $! >/m/short); ' +
          'while [ ! -e /m/go ]; do sleep 0.05; done; exit 3';
        const b = rt.bundle(name, ['sh', '-c', script], (c) => {
          c.linux.namespaces = c.linux.namespaces.filter((n: Config) => n.type !== 'pid');
          c.mounts.push({ destination: '/m', type: 'bind', source: host, options: ['rbind', 'rw'] });
        });
        const child = spawn(rt.bin, ['--root', rt.root, 'run', ...flags, '-b', b, rt.id(name)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
        const pidOf = (f: string) => Number(fs.readFileSync(path.join(host, f), 'utf8'));
        const ready = (f: string) => fs.existsSync(path.join(host, f)) && fs.readFileSync(path.join(host, f), 'utf8').endsWith('\n');
        /** Wait (bounded) until pid is gone or no longer the runtime's; true if it was left a zombie of the runtime. */
        const leftToRuntime = async (pid: number) => {
          await waitFor(() => (proc(pid)?.ppid ?? 0) !== child.pid, 20_000).catch(() => undefined);
          return proc(pid)?.ppid === child.pid;
        };
        let long = 0;
        try {
          await waitFor(() => ready('long') && ready('short'), 20_000);
          long = pidOf('long');
          const longParentIsRuntime = proc(long)?.ppid === child.pid;
          // The short one exits by itself, the long one when killed: both reaped, not left
          // zombies of the runtime, while the init runs on.
          const shortLeftZombie = await leftToRuntime(pidOf('short'));
          spawnSync('kill', ['-KILL', String(long)]);
          // Gone (whoever its reaper is), so the container's cgroup is empty at delete.
          await waitFor(() => proc(long) === null, 20_000).catch(() => undefined);
          const longLeftZombie = proc(long)?.ppid === child.pid;
          fs.writeFileSync(path.join(host, 'go'), '');
          const code = await Promise.race([exited, new Promise((res) => setTimeout(() => res('timeout'), 30_000))]);
          out.push({ flags: flags.join(' '), code, err, longParentIsRuntime, shortLeftZombie, longLeftZombie });
        } finally {
          child.kill('SIGKILL');
          if (long) spawnSync('kill', ['-KILL', String(long)]);
        }
      }
      return out;
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res).toEqual([
        { flags: '', code: 3, err: '', longParentIsRuntime: true, shortLeftZombie: false, longLeftZombie: false },
        { flags: '--no-subreaper', code: 3, err: '', longParentIsRuntime: false, shortLeftZombie: false, longLeftZombie: false },
      ]);
    }
  });

  it('a namespace with "path": "" is a new namespace', async () => {
    const r = await both((rt) => {
      const id = rt.id('nsempty');
      const b = rt.bundle('nsempty', ['readlink', '/proc/self/ns/uts'], (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n: Config) => (n.type === 'uts' ? { type: 'uts', path: '' } : n));
      });
      return rt.run(['run', '-b', b, id]);
    });
    const hostUts = fs.readlinkSync('/proc/self/ns/uts');
    for (const res of [r.runc, r.tsrun]) {
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout.trim()).toMatch(/^uts:\[\d+\]$/);
      expect(res.stdout.trim()).not.toBe(hostUts);
    }
  });

  it('a tmpfs without mode= takes the mode of the directory it covers', async () => {
    const r = await both((rt) => {
      const id = rt.id('tmpfsmode');
      const b = rt.bundle('tmpfsmode', ['stat', '-c', '%a %n', '/data', '/fresh'], (c) => {
        c.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] });
        c.mounts.push({ destination: '/fresh', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
      });
      fs.mkdirSync(path.join(b, 'rootfs/data'), { mode: 0o750 });
      fs.chmodSync(path.join(b, 'rootfs/data'), 0o750);
      return rt.run(['run', '-b', b, id]);
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.code, res.stderr).toBe(0);
      // /fresh did not exist in the rootfs: tmpfs's own default.
      expect(res.stdout.trim().split('\n')).toEqual(['750 /data', '1777 /fresh']);
    }
  });

  it.each(['proc', 'sysfs'])('%s is refused onto a destination that is a symlink in the rootfs', async (type) => {
    const dest = type === 'proc' ? '/proc' : '/sys';
    const r = await both((rt) => {
      const id = rt.id(`symlink-${type}`);
      const b = rt.bundle(`symlink-${type}`, ['true']);
      const at = path.join(b, 'rootfs', dest);
      fs.rmSync(at, { recursive: true, force: true });
      fs.mkdirSync(path.join(b, 'rootfs/elsewhere'), { recursive: true });
      fs.symlinkSync('elsewhere', at);
      const res = rt.run(['run', '-b', b, id]);
      // Nothing was mounted through the link into the rootfs directory it points at.
      return { ...res, leaked: fs.readdirSync(path.join(b, 'rootfs/elsewhere')), left: rt.run(['list', '-q']).stdout.includes(id) };
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/ordinary directory/);
      expect(res.leaked).toEqual([]);
      expect(res.left).toBe(false);
    }
    expect(r.tsrun.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('linux.devices creates nodes but does not allow them: linux.resources.devices alone decides', async () => {
    const r = await both((rt) => {
      const id = rt.id('kmsg');
      const b = rt.bundle('kmsg', ['sh', '-c', 'ls -l /dev/kmsg >/dev/null && head -c1 /dev/kmsg'], (c) => {
        c.linux.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0 }];
        c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
        // kmsg also needs CAP_SYSLOG where dmesg_restrict is set: only the cgroup may refuse.
        for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYSLOG');
      });
      return rt.run(['run', '-b', b, id]);
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/kmsg: Operation not permitted/);
    }
    // The control: with an allow rule for it, the same read works.
    const ok = await both((rt) => {
      const id = rt.id('kmsg-allowed');
      const b = rt.bundle('kmsg-allowed', ['head', '-c1', '/dev/kmsg'], (c) => {
        c.linux.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0 }];
        c.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }] };
        for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYSLOG');
      });
      return rt.run(['run', '-b', b, id]);
    });
    for (const res of [ok.runc, ok.tsrun]) expect(res.code, res.stderr).toBe(0);
  });

  it('a default device allow rule is dropped when linux.devices lists the same path; only linux.resources.devices may allow it again', async () => {
    // (Not /dev/null: runc reopens the init's /dev/null stdio inside the container first.)
    const script = 'head -c1 /dev/zero >/dev/null; echo zero=$?; head -c1 /dev/urandom >/dev/null; echo urandom=$?';
    const r = await both((rt) =>
      [false, true].map((allow) => {
        const name = `devzero-${allow}`;
        const b = rt.bundle(name, ['sh', '-c', script], (c) => {
          c.linux.devices = [{ path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 }];
          c.linux.resources = { devices: [{ allow: false, access: 'rwm' }, ...(allow ? [{ allow: true, type: 'c', major: 1, minor: 5, access: 'r' }] : [])] };
        });
        const res = rt.run(['run', '-b', b, rt.id(name)]);
        return { code: res.code, out: res.stdout, eperm: /zero: Operation not permitted/.test(res.stderr) };
      }),
    );
    expect(r.runc).toEqual([
      // /dev/zero is listed: its default rule is gone and deny-all holds; /dev/urandom keeps its own.
      { code: 0, out: 'zero=1\nurandom=0\n', eperm: true },
      { code: 0, out: 'zero=0\nurandom=0\n', eperm: false },
    ]);
    expect(r.tsrun).toEqual(r.runc);
  });

  describe('exec --process FILE', () => {
    const write = (rt: Runtime, name: string, doc: unknown) => {
      const f = path.join(tmp, `${rt.name}-${name}.json`);
      fs.writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
      return f;
    };

    it('without user runs as 0:0 with the container capabilities and no other defaults', async () => {
      const r = await both((rt) => {
        const id = rt.started('execp');
        const f = write(rt, 'execp', { args: ['/bin/sh', '-c', 'id -u; id -g; pwd; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'], cwd: '/tmp' });
        return rt.run(['exec', '-p', f, id]);
      });
      expect(r.tsrun.code, r.tsrun.stderr).toBe(0);
      expect(r.runc.code, r.runc.stderr).toBe(0);
      expect(r.tsrun.stdout).toBe(r.runc.stdout);
      expect(r.tsrun.stdout).toMatch(/^0\n0\n\/tmp\nCapEff:\t0+20000420\nNoNewPrivs:\t0\n$/);
    });

    it.each([
      ['no cwd', { args: ['true'] }, /\/cwd: must be present/],
      ['a relative cwd', { args: ['true'], cwd: 'tmp' }, /\/cwd: "tmp" must be an absolute path/],
      ['a uid that is a string', { args: ['true'], cwd: '/', user: { uid: 'x' } }, /\/user\/uid: must be integer/],
      ['no args', { cwd: '/' }, /\/args: must contain at least one entry/],
      ['not an object', [1], /\(root\): must be object/],
      ['not JSON', '{bad', /JSON|Unexpected|line 1/],
    ])('with %s fails with 255 and a one-line error naming the field', async (_what, doc, tsrunMsg) => {
      const r = await both((rt) => {
        const id = rt.started('execp-bad');
        return rt.run(['exec', '-p', write(rt, 'bad', doc), id]);
      });
      for (const res of [r.runc, r.tsrun]) expect(res.code, res.stderr).toBe(255);
      expect(r.tsrun.stderr).toMatch(tsrunMsg);
      expect(r.tsrun.stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  describe('exec exit status', () => {
    it("is the process's own status when it ran", async () => {
      const r = await both((rt) => rt.run(['exec', rt.started('exit'), 'sh', '-c', 'exit 7']));
      expect(r.runc.code).toBe(7);
      expect(r.tsrun.code).toBe(7);
    });

    it('is 255 when the binary is missing or the container does not exist', async () => {
      const r = await both((rt) => [rt.run(['exec', rt.started('exit'), 'no-such-binary']), rt.run(['exec', rt.id('absent'), 'true'])]);
      for (const res of [...r.runc, ...r.tsrun]) expect(res.code, res.stderr).toBe(255);
      expect(r.tsrun[0].stderr).toMatch(/no-such-binary.*not found/);
    });

    it('is 255 with a --pid-file in a missing directory, and the process is not left running', async () => {
      const r = await both((rt) => {
        const id = rt.started('exit');
        const res = rt.run(['exec', '--pid-file', path.join(tmp, 'no/such/dir/pid'), id, 'sleep', '123']);
        const ps = rt.run(['exec', id, 'ps', '-o', 'args']).stdout;
        return { ...res, sleeping: ps.includes('sleep 123') };
      });
      for (const res of [r.runc, r.tsrun]) {
        expect(res.code, res.stderr).toBe(255);
        expect(res.sleeping).toBe(false);
      }
    });
  });

  it('kill --all SIG and signal 0 of a stopped container succeed; kill without --all does not', async () => {
    const r = await both(async (rt) => {
      const id = rt.id('killstopped');
      const b = rt.bundle('killstopped', ['true']);
      expect(rt.run(['run', '-d', '-b', b, id]).code).toBe(0);
      await waitFor(() => JSON.parse(rt.run(['state', id]).stdout).status === 'stopped');
      return [['--all', id, 'KILL'], ['--all', id, '0'], ['--all', id, 'TERM'], [id, 'KILL'], [id, '0']].map((a) => {
        const res = rt.run(['kill', ...a]);
        return { args: a.join(' ').replace(id, 'ID'), code: res.code, says: /container not running/.test(res.stderr) || res.stderr === '' };
      });
    });
    expect(r.tsrun).toEqual(r.runc);
    expect(r.tsrun.map((k) => k.code)).toEqual([0, 0, 0, 1, 1]);
  });

  it('seccomp is in force while the startContainer hooks run', async () => {
    const hook = { path: '/bin/mkdir', args: ['mkdir', '/dev/shm/hooked'] };
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    const r = await both((rt) =>
      [true, false].map((noNewPrivileges) => {
        const name = `seccomp-hook-${noNewPrivileges}`;
        const b = rt.bundle(name, ['true'], (c) => {
          c.process.noNewPrivileges = noNewPrivileges;
          c.hooks = { startContainer: [hook] };
          c.linux.seccomp = seccomp;
        });
        const blocked = rt.run(['run', '-b', b, rt.id(name)]);
        // The control: the same hook without the profile succeeds.
        const c = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
        delete c.linux.seccomp;
        fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(c));
        const allowed = rt.run(['run', '-b', b, rt.id(`${name}-ok`)]);
        return { blocked: blocked.code, allowed: allowed.code, err: blocked.stderr };
      }),
    );
    for (const res of [...r.runc, ...r.tsrun]) {
      expect(res.blocked, res.err).not.toBe(0);
      expect(res.allowed).toBe(0);
    }
    expect(r.tsrun[0].err).toMatch(/startContainer hook \/bin\/mkdir exited with status 1/);
  });

  it('--debug writes runc-style debug lines for create, start, exec and kill (text on stderr, json to --log)', async () => {
    // runc may add fields (func=, file=, pid=) after msg.
    const TEXT = /^time="[^"]+" level=debug msg=".*"/;
    const r = await both((rt) => {
      const id = rt.id('debug');
      const b = rt.bundle('debug', ['sleep', '300']);
      const log = path.join(tmp, `${rt.name}-debug.log`);
      const text = [rt.run(['create', '-b', b, id], { global: ['--debug'] }), rt.run(['start', id], { global: ['--debug'] })];
      const json = [rt.run(['exec', id, 'true'], { global: ['--debug', '--log', log, '--log-format', 'json'] })];
      text.push(rt.run(['exec', id, 'true'], { global: ['--debug'] }));
      text.push(rt.run(['kill', id, 'KILL'], { global: ['--debug'] }));
      const lines = (res: Result) => res.stderr.split('\n').filter(Boolean);
      return {
        codes: [...text, ...json].map((x) => x.code),
        text: text.map((x) => lines(x)),
        json: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
      };
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.codes).toEqual([0, 0, 0, 0, 0]);
      // Nothing but debug lines on stderr; create and exec say something under both.
      for (const out of res.text) for (const l of out) expect(l).toMatch(TEXT);
      expect(res.text[0].length).toBeGreaterThan(0);
      expect(res.text[2].length).toBeGreaterThan(0);
      expect(res.json.length).toBeGreaterThan(0);
      for (const j of res.json) {
        expect(j.level).toBe('debug');
        expect(typeof j.msg).toBe('string');
        expect(j.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      }
    }
    // runc 1.1.5 has nothing to say for start and kill; tsrun says what it signalled/released.
    expect(r.tsrun.text[1].length).toBeGreaterThan(0);
    expect(r.tsrun.text[3].length).toBeGreaterThan(0);
  });

  it('a read-only /dev tmpfs: /dev/pts, /dev/shm and the device nodes are made first, /dev is read-only last', async () => {
    const r = await both((rt) => {
      const id = rt.id('devro');
      const script = 'test -c /dev/null && test -d /dev/pts && test -d /dev/shm && grep " /dev tmpfs " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1 && touch /dev/x';
      const b = rt.bundle('devro', ['sh', '-c', script], (c) => {
        const dev = c.mounts.find((m: Config) => m.destination === '/dev');
        dev.options.push('ro');
      });
      return rt.run(['run', '-b', b, id]);
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.stdout).toBe('ro\n');
      expect(res.stderr).toMatch(/\/dev\/x: Read-only file system/);
      expect(res.code).toBe(1);
    }
  });

  it('--no-pivot works, and leaves no full host procfs/sysfs mount in the container mount namespace', async () => {
    // Covered mounts are invisible in mountinfo: list the namespace with listmount(2).
    const helper = path.join(REPO, 'test/helpers/mounts-in-ns.py');
    const fullMounts = (pid: number) => {
      const l = spawnSync('python3', [helper, String(pid)], { encoding: 'utf8' });
      if (l.status === 2) return null;
      expect(l.status, l.stderr).toBe(0);
      return l.stdout.split('\n').filter((x) => /^(proc|sysfs) \/ /.test(x)).map((x) => x.split(' ')[0]).sort();
    };
    const r = await both((rt) => {
      const id = rt.id('nopivot');
      const b = rt.bundle('nopivot', ['sleep', '300']);
      const pidFile = path.join(tmp, `${rt.name}-nopivot.pid`);
      const res = rt.run(['run', '-d', '--no-pivot', '--pid-file', pidFile, '-b', b, id]);
      expect(res.code, res.stderr).toBe(0);
      const inside = rt.run(['exec', id, 'sh', '-c', 'stat -f -c %T /proc /sys; ls /']).stdout;
      return { inside, full: fullMounts(Number(fs.readFileSync(pidFile, 'utf8'))) };
    });
    // Inside, the container's own procfs and sysfs over its rootfs, the same under both.
    expect(r.tsrun.inside).toBe(r.runc.inside);
    expect(r.tsrun.inside).toMatch(/^proc\nsysfs\nbin\n/);
    if (r.runc.full === null) {
      console.warn('[parity] --no-pivot host mounts: not checked (this kernel lacks listmount/NS_GET_MNTNS_ID)');
      return;
    }
    // Only the container's own full procfs and sysfs: the host's were detached before the move.
    expect(r.runc.full).toEqual(['proc', 'sysfs']);
    expect(r.tsrun.full).toEqual(['proc', 'sysfs']);
  });

  it('exec --cgroup joins a sub-cgroup of the container (ctrl:path and plain forms)', async () => {
    /** The container init's cgroup directories on the host, by controller list ("" = unified). */
    const dirsOf = (pid: number) =>
      fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
        const [, ctrls, p] = l.split(':');
        const mnt = ctrls === '' ? (fs.existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${ctrls.replace(/^name=/, '')}`;
        return { ctrls, dir: path.join(mnt, p) };
      });
    const made: string[] = [];
    try {
      const r = await both((rt) => {
        // A cgroup namespace: the container's own cgroup reads as "/" from inside.
        const id = rt.started('subcg', (c) => c.linux.namespaces.push({ type: 'cgroup' }));
        const pid = JSON.parse(rt.run(['state', id]).stdout).pid;
        const dirs = dirsOf(pid);
        for (const d of dirs) {
          for (const sub of ['sub', 'only']) {
            if (sub === 'only' && d.ctrls !== 'pids') continue;
            const at = path.join(d.dir, sub);
            fs.mkdirSync(at);
            made.push(at);
            // A cpuset cgroup takes no process until it has cpus and mems.
            if (d.ctrls.split(',').includes('cpuset')) {
              for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(at, f), fs.readFileSync(path.join(d.dir, f)));
            }
          }
        }
        const show = ['sh', '-c', 'cat /proc/self/cgroup'];
        return {
          one: rt.run(['exec', '--cgroup', 'pids:only', id, ...show]),
          all: rt.run(['exec', '--cgroup', 'sub', id, ...show]),
          list: rt.run(['exec', '--cgroup', 'pids,freezer:sub', '--cgroup', 'devices:sub', id, ...show]),
          // A path for every controller must come alone.
          mixed: rt.run(['exec', '--cgroup', 'pids:only', '--cgroup', 'sub', id, 'true']),
          missing: rt.run(['exec', '--cgroup', 'pids:nosuch', id, 'true']),
          escape: rt.run(['exec', '--cgroup', '../..', id, 'true']),
          unknown: rt.run(['exec', '--cgroup', 'nosuchctl:sub', id, 'true']),
        };
      });
      const lines = (res: Result) => res.stdout.trim().split('\n').sort();
      for (const res of [r.runc, r.tsrun]) {
        for (const ok of [res.one, res.all, res.list]) expect(ok.code, ok.stderr).toBe(0);
        // With a cgroup namespace the container's cgroup is "/": the sub-cgroup shows as /sub.
        expect(lines(res.one).filter((l) => l.includes(':pids:'))).toEqual([expect.stringMatching(/:pids:\/only$/)]);
        expect(lines(res.one).filter((l) => !l.includes(':pids:')).every((l) => l.endsWith(':/'))).toBe(true);
        expect(lines(res.all).every((l) => l.endsWith(':/sub'))).toBe(true);
        expect(lines(res.list).filter((l) => l.endsWith(':/sub')).map((l) => l.split(':')[1])).toEqual(['devices', 'freezer', 'pids']);
        for (const bad of [res.mixed, res.missing, res.escape, res.unknown]) expect(bad.code).toBe(255);
      }
      expect(lines(r.tsrun.all)).toEqual(lines(r.runc.all));
      expect(r.tsrun.escape.stderr).toMatch(/not a sub cgroup path/);
      expect(r.tsrun.unknown.stderr).toMatch(/unknown controller nosuchctl/);
    } finally {
      for (const rt of [runc, tsrun]) for (const id of rt.ids) if (id.endsWith('-subcg')) rt.run(['delete', '--force', id]);
      // Usually gone with the container's cgroup; rmdir what is left.
      for (const d of made.reverse()) {
        try {
          fs.rmdirSync(d);
        } catch {
          /* removed by delete */
        }
      }
    }
  });

  it('exec -t without --console-socket runs in the foreground on a pty the runtime proxies', async () => {
    // script(1) gives the runtime a terminal of its own, of a known size.
    const r = await both((rt) => {
      const id = rt.started('tty');
      // runc sets the size only once it holds the master: give it a moment (tsrun sets it first).
      const inner = `sleep 1; stty size; tty; stat -c %u:%g:%a $(tty); id -u; exit 3`;
      const cmd = `stty rows 33 cols 101; ${rt.bin} --root ${rt.root} exec -t -u 1000:1000 ${id} sh -c '${inner}'; echo rc=$?; stty -a | grep -o -- '-*onlcr'`;
      const res = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
      // The terminal echoes a NUL as "^@" (one shows up under both runtimes).
      return { code: res.status, out: res.stdout.replace(/\^@|[\0\r]/g, '') };
    });
    for (const res of [r.runc, r.tsrun]) {
      expect(res.code).toBe(0);
      // The caller's window size, the pts owned by the user (gid from devpts), the process's
      // status, and the caller's terminal settings restored afterwards.
      expect(res.out).toMatch(/^33 101\n\/dev\/pts\/\d+\n1000:5:620\n1000\nrc=3\nonlcr\n$/);
    }
    expect(r.tsrun.out).toBe(r.runc.out);
  });
});

