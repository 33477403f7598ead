// A pure cgroup v2 host with systemd (the v2host guest tier, scripts/v2host/test.sh, runs
// this; it skips elsewhere): containers made by dist/tsrun get every linux.resources field
// and unified key in their cgroup files, the controllers enabled in the parents, stage 1
// born in the cgroup (clone3) or moved there when clone3 is refused, device rules as eBPF,
// the freezer, pids and OOM events, and a cgroup namespace with /sys/fs/cgroup mounted.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, type Config, RUNC, skipReason, Suite, waitFor } from '../../conformance/lib/harness';

const CG = '/sys/fs/cgroup';
function why(): string | undefined {
  const base = skipReason();
  if (base) return base;
  if (!fs.existsSync(path.join(CG, 'cgroup.subtree_control'))) return 'host is not pure cgroup v2 (/sys/fs/cgroup is not cgroup2)';
  return undefined;
}
const skip = why();
if (skip) console.warn(`[cgroup2 host] skipped: ${skip}`);

const s = new Suite('cg2host');
const rc = new Suite('cg2host-runc', RUNC);
afterAll(async () => {
  await s.cleanup();
  await rc.cleanup();
});
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim();
const MiB = 1024 * 1024;
// The guest is slow (TCG): allow for it in every wait.
const WAIT = 30_000;

/** The block device the root fs is on ("254:0"), for io.max. */
function rootDev(): string {
  const st = fs.statSync('/');
  return `${Math.floor(st.dev / 256) & 0xfff}:${(st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)}`;
}
/** The whole disk of a partition-less root (vda), whose io.max accepts limits. */
function diskDev(): string | undefined {
  for (const d of fs.readdirSync('/sys/block')) {
    const dev = fs.readFileSync(`/sys/block/${d}/dev`, 'utf8').trim();
    if (dev === rootDev()) return dev;
  }
  return undefined;
}

describe.skipIf(!!skip)('pure cgroup v2 host', () => {
  it('writes every linux.resources field and unified key; enables controllers in the parents; stage 1 is born in the cgroup', async () => {
    const disk = diskDev();
    const [maj, min] = (disk ?? '0:0').split(':').map(Number);
    const b = await s.bundle('res', {
      args: ['sleep', '300'],
      mutate: (c: Config) => {
        // A nested path: every level above the leaf must get the controllers enabled.
        c.linux.cgroupsPath = `${c.linux.cgroupsPath}/mid/leaf`;
        c.linux.resources = {
          memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB },
          pids: { limit: 50 },
          cpu: { shares: 512, quota: 50_000, period: 100_000, burst: 10_000, idle: 0, cpus: '0', mems: '0' },
          blockIO: {
            weight: 500,
            ...(disk ? { throttleReadBpsDevice: [{ major: maj, minor: min, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: maj, minor: min, rate: 100 }] } : {}),
          },
          hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2 * MiB }],
          unified: { 'memory.high': String(48 * MiB), 'memory.oom.group': '1', 'cpu.weight.nice': '5' },
        };
      },
    });
    const id = s.id('res');
    process.env.TSRUN_TIMING = '1';
    let created;
    try {
      created = s.create(id, b);
    } finally {
      delete process.env.TSRUN_TIMING;
    }
    expect(created.stderr).toContain('stage 1 forked into its cgroup');
    const dir = path.join(CG, b.cgroupsPath, 'mid/leaf');
    const pid = s.state(id).pid!;
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::${b.cgroupsPath}/mid/leaf\n`);
    for (const parent of [CG, path.join(CG, b.cgroupsPath), path.join(CG, b.cgroupsPath, 'mid')]) {
      const enabled = read(parent, 'cgroup.subtree_control').split(' ');
      for (const c of ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']) expect(enabled, `${parent} subtree_control`).toContain(c);
    }
    expect(read(dir, 'memory.max')).toBe(String(64 * MiB));
    expect(read(dir, 'memory.low')).toBe(String(32 * MiB));
    expect(read(dir, 'memory.swap.max')).toBe(String(32 * MiB));
    expect(read(dir, 'memory.high')).toBe(String(48 * MiB));
    expect(read(dir, 'memory.oom.group')).toBe('1');
    expect(read(dir, 'pids.max')).toBe('50');
    // cpu.weight.nice 5 is written last (unified keys after the fields) and sets cpu.weight.
    expect(read(dir, 'cpu.weight.nice')).toBe('5');
    expect(read(dir, 'cpu.max')).toBe('50000 100000');
    expect(read(dir, 'cpu.max.burst')).toBe('10000');
    expect(read(dir, 'cpu.idle')).toBe('0');
    expect(read(dir, 'cpuset.cpus')).toBe('0');
    expect(read(dir, 'cpuset.mems')).toBe('0');
    expect(read(dir, 'hugetlb.2MB.max')).toBe(String(8 * MiB));
    if (fs.existsSync(path.join(dir, 'io.bfq.weight'))) expect(read(dir, 'io.bfq.weight')).toMatch(/^default 500$/m);
    else expect(read(dir, 'io.weight')).toMatch(/^default 4950$/m); // 1 + (500-10)*9999/990, runc's formula
    if (disk) expect(read(dir, 'io.max')).toBe(`${disk} rbps=1048576 wbps=max riops=max wiops=100`);
    s.ok(['delete', '--force', id]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('cpu.shares maps to cpu.weight as runc does', async () => {
    const b = await s.bundle('w', { args: ['sleep', '300'], mutate: (c: Config) => (c.linux.resources = { cpu: { shares: 512 } }) });
    const id = s.id('w');
    s.create(id, b);
    expect(read(path.join(CG, b.cgroupsPath), 'cpu.weight')).toBe('20');
    s.ok(['delete', '--force', id]);
  });

  it('falls back to fork + cgroup.procs when clone3 is refused (seccomp ENOSYS, as in a container with docker\'s profile)', async () => {
    if (!fs.existsSync('/run/systemd/system')) return; // systemd-run applies the filter
    const b = await s.bundle('fb', { args: ['cat', '/proc/self/cgroup'] });
    const id = s.id('fb');
    const r = spawnSync('systemd-run', ['--quiet', '--wait', '--pipe', '--collect', '-p', 'SystemCallFilter=~clone3', '-p', 'SystemCallErrorNumber=ENOSYS',
      '-E', 'TSRUN_TIMING=1', BIN, '--root', s.root, 'run', '--bundle', b.dir, id], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('stage 1 forked');
    expect(r.stderr).not.toContain('stage 1 forked into its cgroup');
    expect(r.stdout).toContain(`0::/\n`); // the init sees its own cgroup namespace root
    // From outside: the run went through the container's cgroup, which is gone again.
    expect(fs.existsSync(path.join(CG, b.cgroupsPath))).toBe(false);
  });

  it('cgroup namespace: /proc/self/cgroup is "0::/", /sys/fs/cgroup is the container\'s own cgroup2', async () => {
    const b = await s.bundle('ns', {
      args: ['sh', '-c', 'cat /proc/self/cgroup > /m/cg; cat /sys/fs/cgroup/memory.max > /m/max; grep " /sys/fs/cgroup " /proc/self/mountinfo > /m/mnt; ls /sys/fs/cgroup > /m/ls'],
      mutate: (c: Config) => {
        if (!c.linux.namespaces.some((n: { type: string }) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
        c.linux.resources = { memory: { limit: 40 * MiB } };
      },
    });
    const id = s.id('ns');
    s.ok(['run', '--bundle', b.dir, id], { timeoutMs: 60_000 });
    expect(fs.readFileSync(path.join(b.host, 'cg'), 'utf8')).toBe('0::/\n');
    expect(fs.readFileSync(path.join(b.host, 'max'), 'utf8').trim()).toBe(String(40 * MiB));
    expect(fs.readFileSync(path.join(b.host, 'mnt'), 'utf8')).toMatch(/ \/ \/sys\/fs\/cgroup .* - cgroup2 cgroup2 /);
    expect(fs.readFileSync(path.join(b.host, 'ls'), 'utf8')).toContain('cgroup.procs');
  });

  it('device rules are an eBPF program: an allowed device opens, a denied one does not', async () => {
    // mknod itself is allowed for every device (runc's default "c *:* m", "b *:* m"); the
    // program decides what may be opened. 10:229 (/dev/fuse) is on no allow list (runc's
    // defaults have /dev/net/tun, not fuse): EPERM from the program (fuse's driver would
    // open, or answer ENODEV).
    const b = await s.bundle('dev', {
      args: ['sh', '-c', 'mknod /tmp/ok c 1 3 && echo x > /tmp/ok && echo ok-open > /m/a; mknod /tmp/no c 10 229 && head -c1 /tmp/no 2> /m/b; true'],
      mutate: (c: Config) => {
        c.root.readonly = false;
        for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push('CAP_MKNOD');
        c.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] };
      },
    });
    const id = s.id('dev');
    s.ok(['run', '--bundle', b.dir, id], { timeoutMs: 60_000 });
    expect(fs.readFileSync(path.join(b.host, 'a'), 'utf8')).toBe('ok-open\n');
    expect(fs.readFileSync(path.join(b.host, 'b'), 'utf8')).toMatch(/\/tmp\/no.*Operation not permitted/);
  });

  it('exec joins the container\'s cgroup; pause and resume through cgroup.freeze stop and restart it too', async () => {
    const b = await s.bundle('fz', {
      args: ['sleep', '300'],
      mutate: (c: Config) => {
        if (!c.linux.namespaces.some((n: { type: string }) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
      },
    });
    const id = s.id('fz');
    s.create(id, b);
    s.start(id);
    const dir = path.join(CG, b.cgroupsPath);
    const pidFile = path.join(s.tmp, 'fz-exec.pid');
    s.ok(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '200']);
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(fs.readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toBe(`0::${b.cgroupsPath}\n`);
    const procState = (pid: number) => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    s.ok(['pause', id]);
    expect(read(dir, 'cgroup.freeze')).toBe('1');
    expect(read(dir, 'cgroup.events')).toMatch(/^frozen 1$/m);
    expect(s.state(id).status).toBe('paused');
    // A frozen task sleeps in the freezer (state S), and exec into a paused container is refused.
    expect(procState(execPid)).toBe('S');
    expect(s.rt(['exec', id, 'true']).code).not.toBe(0);
    s.ok(['resume', id]);
    expect(read(dir, 'cgroup.events')).toMatch(/^frozen 0$/m);
    expect(s.state(id).status).toBe('running');
    const out = s.rt(['exec', id, 'cat', '/proc/self/cgroup']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('0::/\n'); // exec joined the container's cgroup namespace too
    s.ok(['delete', '--force', id]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it.skipIf(!fs.existsSync(RUNC))('update writes the v2 files runc writes for every flag; events --stats reads them back', async () => {
    const files = ['memory.max', 'memory.swap.max', 'memory.low', 'cpu.weight', 'cpu.max', 'pids.max', 'io.weight', 'cpuset.cpus', 'cpuset.mems'];
    const flags = [
      '--memory', '100m', '--memory-swap', '150m', '--memory-reservation', '50m', '--cpu-share', '512',
      '--cpu-period', '200000', '--cpu-quota', '50000', '--pids-limit', '30', '--blkio-weight', '300',
      '--cpuset-cpus', '0', '--cpuset-mems', '0',
    ];
    const seen: Record<string, string>[] = [];
    for (const suite of [s, rc]) {
      const b = await suite.bundle('up', { args: ['sleep', '300'] });
      const id = suite.id('up');
      suite.create(id, b);
      suite.start(id);
      suite.ok(['update', ...flags, id]);
      const dir = path.join(CG, b.cgroupsPath);
      seen.push(Object.fromEntries(files.map((f) => [f, fs.existsSync(path.join(dir, f)) ? read(dir, f) : '(none)'])));
      if (suite === s) {
        const ev = JSON.parse(s.ok(['events', '--stats', id]).stdout);
        expect(ev.type).toBe('stats');
        expect(ev.data.memory.usage.limit).toBe(100 * MiB);
        expect(ev.data.pids.limit).toBe(30);
        expect(ev.data.pids.current).toBeGreaterThanOrEqual(1);
      }
      suite.ok(['delete', '--force', id]);
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toMatchObject({ 'memory.max': String(100 * MiB), 'pids.max': '30', 'cpu.max': '50000 200000' });
  });

  it('pids.max stops forks (pids.events) and memory.max OOM-kills (memory.events)', async () => {
    // dd fills one 64 MiB buffer from /dev/zero, past memory.max: the OOM killer takes it
    // (the "survived" mark is never written); then forks past pids.max fail, in a subshell:
    // a failed fork ends busybox sh, and the container is to keep running.
    const b = await s.bundle('ev', {
      args: ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=64M count=1 && echo survived > /m/oom; (for i in 1 2 3 4 5 6 7 8 9 10; do sleep 100 & done) 2> /m/forks; exec sleep 300'],
      mutate: (c: Config) => (c.linux.resources = { pids: { limit: 6 }, memory: { limit: 32 * MiB, swap: 32 * MiB } }),
    });
    const id = s.id('ev');
    s.create(id, b);
    const dir = path.join(CG, b.cgroupsPath);
    s.start(id);
    const forks = path.join(b.host, 'forks');
    const done = await waitFor(
      () => /^oom_kill [1-9]/m.test(read(dir, 'memory.events')) && /^max [1-9]/m.test(read(dir, 'pids.events')) && fs.existsSync(forks) && /fork|Resource temporarily unavailable/i.test(fs.readFileSync(forks, 'utf8')),
      WAIT, 200,
    );
    expect(done, `memory.events: ${read(dir, 'memory.events')}\npids.events: ${read(dir, 'pids.events')}`).toBe(true);
    expect(fs.existsSync(path.join(b.host, 'oom'))).toBe(false);
    s.ok(['delete', '--force', id]);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
