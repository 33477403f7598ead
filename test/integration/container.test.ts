// Container features end to end: each test runs a real busybox container with the built
// binary (`run` in the foreground) and checks the effect from inside (its output) or outside.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceSkip, cgroupDirs, Suite, waitFor, pidAlive, type Config } from '../../conformance/lib/harness';

const skip = announceSkip(__filename);
const s = new Suite('features');
afterAll(() => s.cleanup());

/** Run a container in the foreground with `sh -c script`; returns its exit code and output. */
async function sh(script: string, mutate?: (c: Config) => void, flags: string[] = []) {
  const b = await s.bundle('f', { args: ['sh', '-c', script], mutate });
  const r = s.rt(['run', ...flags, '--bundle', b.dir, s.id('run')]);
  return { ...r, bundle: b };
}

describe.skipIf(skip)('container features', () => {
  it('run passes stdout through and exits with the container status', async () => {
    const r = await sh('echo out; echo err >&2; exit 7');
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err');
    expect(r.code).toBe(7);
  });

  it('run exits 128+signo when the init is killed, and forwards signals it gets', async () => {
    const bin = process.env.TSRUN_BIN || path.join(__dirname, '../../dist/tsrun');
    for (const [how, code] of [['kill', 137], ['forward', 42]] as const) {
      // As pid 1 of its namespace the init only gets signals it handles: the shell traps TERM.
      const b = await s.bundle('sig', { args: ['sh', '-c', 'trap "exit 42" TERM; sleep 100 & wait'] });
      const id = s.id('sig');
      const child = spawn(bin, ['--root', s.root, 'run', '--bundle', b.dir, id], { stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(await waitFor(() => s.tryState(id)?.status === 'running')).toBe(true);
      if (how === 'kill') s.ok(['kill', id, 'KILL']);
      else child.kill('SIGTERM'); // run forwards it to the init, whose trap exits 42
      expect(await exited).toBe(code);
      expect(s.tryState(id)).toBeUndefined(); // run deletes the container after it exits
    }
  });

  it('sets hostname and domainname in a new uts namespace', async () => {
    const r = await sh('hostname; cat /proc/sys/kernel/domainname', (c) => {
      c.hostname = 'box1';
      c.domainname = 'example.org';
    });
    expect(r.stdout).toBe('box1\nexample.org\n');
  });

  it('runs as process.user with additional groups, umask and cwd, and env', async () => {
    const r = await sh('id -u; id -g; id -G; umask; pwd; echo $FOO', (c) => {
      c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 1002], umask: 0o027 };
      c.process.cwd = '/tmp/work';
      c.process.env.push('FOO=bar baz');
      c.root.readonly = false;
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['1000', '1001', '1001 5 1002', '0027', '/tmp/work', 'bar baz', '']);
  });

  it('applies the five capability sets and no_new_privs', async () => {
    const r = await sh('grep -E "^(Cap|NoNewPrivs)" /proc/self/status', (c) => {
      const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
      c.process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      c.process.noNewPrivileges = true;
    });
    // CHOWN=0, KILL=5, NET_BIND_SERVICE=10
    expect(r.stdout).toContain('CapBnd:\t0000000000000421');
    expect(r.stdout).toContain('CapEff:\t0000000000000421');
    expect(r.stdout).toContain('CapPrm:\t0000000000000421');
    expect(r.stdout).toContain('CapInh:\t0000000000000020');
    expect(r.stdout).toContain('CapAmb:\t0000000000000020');
    expect(r.stdout).toContain('NoNewPrivs:\t1');
  });

  it('sets rlimits and oom_score_adj', async () => {
    const r = await sh('ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj', (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
      c.process.oomScoreAdj = 123;
    });
    expect(r.stdout).toBe('321\n654\n123\n');
  });

  it('makes the root read-only, masks and read-only paths', async () => {
    const r = await sh(
      'touch /x 2>/dev/null && echo root-rw || echo root-ro; wc -c < /proc/keys; ls /sys/firmware | wc -l; ' +
        'echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-rw || echo sys-ro',
    );
    expect(r.stdout).toBe('root-ro\n0\n0\nsys-ro\n');
  });

  it('mounts a tmpfs with its flags and data', async () => {
    const r = await sh('grep " /scratch " /proc/mounts', (c) => {
      c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m', 'mode=700'] });
    });
    expect(r.stdout).toMatch(/tmpfs \/scratch tmpfs rw,nosuid,relatime,size=1024k,mode=700/);
  });

  it('bind mounts a host directory read-only', async () => {
    const b = await s.bundle('bind', { args: ['sh', '-c', 'cat /data/hello; touch /data/new 2>/dev/null && echo rw || echo ro'] });
    const data = path.join(b.dir, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'hello'), 'hi\n');
    s.editConfig(b, (c) => c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['bind', 'ro'] }));
    const r = s.rt(['run', '--bundle', b.dir, s.id('bind')]);
    expect(r.stdout).toBe('hi\nro\n');
    expect(fs.existsSync(path.join(data, 'new'))).toBe(false);
  });

  it('a bind destination symlinked out of the rootfs stays inside it', async () => {
    const b = await s.bundle('escape', { args: ['sh', '-c', 'cat /evil/hello'] });
    const data = path.join(b.dir, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'hello'), 'inside\n');
    const outside = path.join(s.tmp, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(b.dir, 'rootfs/evil'));
    s.editConfig(b, (c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/evil', type: 'bind', source: data, options: ['bind'] });
    });
    const r = s.rt(['run', '--bundle', b.dir, s.id('escape')]);
    expect(r.stdout).toBe('inside\n');
    // The host directory the symlink names was not mounted over.
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(outside);
  });

  it('runs in a user namespace with the given id mappings', async () => {
    const b = await s.bundle('userns', {
      args: ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u'],
      mutate: (c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      },
    });
    // The container's root (host uid 200000) must be able to reach and own its rootfs.
    for (let d = b.dir; d !== path.dirname(d) && d.startsWith(s.tmp); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    spawnSync('chown', ['-R', '200000:200000', path.join(b.dir, 'rootfs')]);
    const r = s.rt(['run', '--bundle', b.dir, s.id('userns')]);
    expect(r.stderr).toBe('');
    expect(r.stdout.replace(/ +/g, ' ')).toBe(' 0 200000 65536\n 0 200000 65536\n0\n');
  });

  it('creates a time namespace with the given clock offsets', async () => {
    const r = await sh('cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time', (c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 1_000_000, nanosecs: 0 } };
    });
    const [uptime, ns] = r.stdout.trim().split('\n');
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split('.')[0]);
    expect(Number(uptime) - hostUptime).toBeGreaterThanOrEqual(999_990);
    expect(ns).not.toBe(fs.readlinkSync('/proc/self/ns/time'));
  });

  it('writes sysctls in the container namespaces', async () => {
    const r = await sh('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax', (c) => {
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '12345' };
    });
    expect(r.stdout).toBe('1\n12345\n');
    expect(fs.readFileSync('/proc/sys/kernel/msgmax', 'utf8').trim()).not.toBe('12345');
  });

  it('creates linux.devices with their mode and owner', async () => {
    const r = await sh("stat -c '%F %t:%T %a %u:%g' /dev/fuse /dev/null", (c) => {
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 7, gid: 8 }];
    });
    expect(r.stdout).toBe('character special file a:e5 600 7:8\ncharacter special file 1:3 666 0:0\n');
  });

  it('passes only stdio and --preserve-fds to the container (no host fd leaks)', async () => {
    const b = await s.bundle('fds', { args: ['sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "; cat <&3'] });
    const extra = path.join(s.tmp, 'fd3');
    fs.writeFileSync(extra, 'from fd 3\n');
    const fd3 = fs.openSync(extra, 'r');
    const out = path.join(s.tmp, 'fds.out');
    const outFd = fs.openSync(out, 'w');
    const r = spawnSync(process.env.TSRUN_BIN || path.join(__dirname, '../../dist/tsrun'), ['--root', s.root, 'run', '--preserve-fds', '1', '--bundle', b.dir, s.id('fds')], {
      stdio: ['ignore', outFd, 'pipe', fd3],
      timeout: 30_000,
    });
    fs.closeSync(fd3);
    fs.closeSync(outFd);
    expect(r.stderr.toString()).toBe('');
    // 0-2, the preserved 3, and the fd ls opened on /proc/self/fd
    expect(fs.readFileSync(out, 'utf8')).toBe('0 1 2 3 4 from fd 3\n');
  });

  it('pivot_root hides the host root; --no-pivot chroots instead', async () => {
    for (const flags of [[], ['--no-pivot']]) {
      const r = await sh('ls / | tr "\\n" " "; grep -c " / " /proc/self/mountinfo', undefined, flags);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('bin dev etc');
      expect(r.stdout).not.toContain('vmlinuz');
    }
  });

  it('runs createContainer hooks in the container mount namespace before pivot and startContainer hooks inside it', async () => {
    const b = await s.bundle('hooks', { args: ['sh', '-c', 'cat /tmp/start-hook'] });
    const log = path.join(b.host, 'create-hook');
    s.editConfig(b, (c) => {
      c.root.readonly = false;
      c.hooks = {
        createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `readlink /proc/self/ns/mnt > ${log}; cat >> ${log}`] }],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo started $(hostname) > /tmp/start-hook'] }],
      };
    });
    const r = s.rt(['run', '--bundle', b.dir, s.id('hooks')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('started tsrun\n');
    const [mntNs, state] = fs.readFileSync(log, 'utf8').split('\n');
    expect(mntNs).not.toBe(fs.readlinkSync('/proc/self/ns/mnt'));
    expect(JSON.parse(state)).toMatchObject({ status: 'creating', bundle: b.dir });
  });

  it('a failing createContainer hook fails create and leaves nothing behind', async () => {
    const b = await s.bundle('hookfail', { args: ['true'] });
    s.editConfig(b, (c) => {
      c.hooks = { createContainer: [{ path: '/bin/false' }] };
    });
    const id = s.id('hookfail');
    const r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/createContainer hook \/bin\/false exited with status 1/);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('a missing process.args[0] fails create with a clear error and leaves nothing behind', async () => {
    const b = await s.bundle('noexe', { args: ['no-such-program'] });
    const id = s.id('noexe');
    const r = s.rt(['create', '--bundle', b.dir, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exec: "no-such-program": executable file not found in $PATH');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  it('puts the container in its cgroup with memory, cpu and pids limits', async () => {
    const b = await s.bundle('cg', { args: ['sleep', '100'] });
    s.editConfig(b, (c) => {
      c.linux.resources = { ...c.linux.resources, memory: { limit: 64 * 1024 * 1024 }, cpu: { quota: 20000, period: 100000 }, pids: { limit: 42 } };
    });
    const id = s.id('cg');
    s.create(id, b);
    const pid = s.state(id).pid!;
    const dirs = cgroupDirs(b.cgroupsPath);
    const find = (file: string) => dirs.map((d) => path.join(d, file)).find((f) => fs.existsSync(f));
    const read = (file: string) => fs.readFileSync(find(file)!, 'utf8').trim();
    if (fs.existsSync('/sys/fs/cgroup/cgroup.subtree_control')) {
      // Pure cgroup v2 (the v2host guest tier).
      expect(read('memory.max')).toBe(String(64 * 1024 * 1024));
      expect(read('cpu.max')).toBe('20000 100000');
    } else {
      expect(read('memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
      expect(read('cpu.cfs_quota_us')).toBe('20000');
    }
    expect(read('pids.max')).toBe('42');
    for (const d of dirs) expect(fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
    s.ok(['delete', '--force', id]);
    expect(await waitFor(() => !pidAlive(pid))).toBe(true);
    expect(cgroupDirs(b.cgroupsPath)).toEqual([]);
  });

  it('a non-root process owns its stdio, as with runc: it can reopen /dev/stdout', async () => {
    // The caller's pipes are root's (mode 0600); runc hands them to process.user.uid before it
    // changes user, and images rely on it (`echo > /dev/stdout`, logs symlinked to it).
    // (>>: the harness gives tsrun files, not pipes; docker.test.ts covers the shim's pipes.)
    const r = await sh('stat -L -c "%u %g" /proc/self/fd/1; echo hi >> /dev/stdout && echo err >> /dev/stderr', (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
    });
    expect(r.stderr).toBe('err\n');
    expect(r.stdout).toBe(`1000 ${process.getgid!()}\nhi\n`); // the group is left as it was
    expect(r.code).toBe(0);
  });

  it('run with process.terminal and no --console-socket holds the pty itself, like runc', async () => {
    const b = await s.bundle('runtty', { args: ['sh', '-c', 'tty; stty size; read line; echo "got $line"; exit 6'] });
    s.editConfig(b, (c) => (c.process.terminal = true));
    const bin = process.env.TSRUN_BIN || path.join(__dirname, '../../dist/tsrun');
    // script(1) gives tsrun a terminal of 20x100; the input line is typed into it.
    const cmd = `stty rows 20 cols 100; ${bin} --root ${s.root} run --bundle ${b.dir} ${s.id('runtty')}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input: 'hello\n', encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(6);
    const out = r.stdout.replace(/\r/g, '');
    // The typed line is echoed by the container's pty whenever it arrives: lines, not order.
    expect(out).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(out).toMatch(/^20 100$/m);
    expect(out).toContain('got hello');
  });

  it('pause freezes the cgroup (status paused), resume thaws it', async () => {
    const b = await s.bundle('pause', { args: ['sleep', '100'] });
    const id = s.id('pause');
    s.create(id, b);
    s.ok(['start', id]);
    const pid = s.state(id).pid!;
    s.ok(['pause', id]);
    expect(s.state(id).status).toBe('paused');
    const freezer = cgroupDirs(b.cgroupsPath).map((d) => path.join(d, 'freezer.state')).find((f) => fs.existsSync(f));
    if (freezer) expect(fs.readFileSync(freezer, 'utf8').trim()).toBe('FROZEN');
    expect(s.rt(['delete', id]).stderr).toContain('not stopped: paused');
    s.ok(['resume', id]);
    expect(s.state(id).status).toBe('running');
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/State:\s+S/);
    s.ok(['delete', '--force', id]);
  });

  /** Create and start with process.terminal and a --console-socket that recvtty.py holds; what the container wrote. */
  async function viaConsoleSocket(label: string, args: string[], edit: (c: Config) => void): Promise<string> {
    const b = await s.bundle(label, { args });
    s.editConfig(b, (c) => {
      c.process.terminal = true;
      edit(c);
    });
    const sock = path.join(s.tmp, `${label}.sock`);
    const recv = spawn('python3', [path.join(__dirname, '../helpers/recvtty.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    recv.stdout.on('data', (d) => (out += d));
    // python3 alone can take seconds to start on a loaded 2-core machine
    expect(await waitFor(() => out.includes('listening'), 30_000)).toBe(true);
    const id = s.id(label);
    s.ok(['create', '--bundle', b.dir, '--console-socket', sock, id]);
    s.ok(['start', id]);
    await new Promise((r) => recv.on('exit', r));
    s.ok(['delete', '--force', id]);
    return out.replace(/\r/g, '');
  }

  it('gives the terminal to --console-socket as a pty, with /dev/console', async () => {
    const out = await viaConsoleSocket('tty', ['sh', '-c', 'tty; stty size; ls -l /dev/console | cut -c1'], (c) => {
      c.process.consoleSize = { height: 33, width: 77 };
    });
    expect(out).toBe('listening\n/dev/pts/0\n33 77\nc\n');
  });

  it('a non-root process owns its pty from --console-socket (uid), the tty group stays', async () => {
    const out = await viaConsoleSocket('ttyuser', ['sh', '-c', 'stat -c "%u %g" $(tty); id -u'], (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
    });
    expect(out).toBe('listening\n1000 5\n1000\n');
  });
});
