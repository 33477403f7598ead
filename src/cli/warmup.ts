// Build-time training run for the executable's V8 code cache (see src/boot.ts). It walks
// the code paths of every command once, so their bytecode lands in the cache, and does
// nothing outside a private temp dir: no container is started, no cgroup is created,
// no signal is sent. Real commands run through main() where that is harmless (spec,
// features, state, list, start/kill/delete of a container record whose init is gone);
// create and exec are exercised up to the launch: bundle validation, cgroup path
// resolution (read-only), the launch plan, the seccomp compiler and the FFI binding.
//
// One training run per cache set (src/cache-sets.ts): each command a caller runs for every
// container (state, start, kill, delete, list) gets a cache of its own, because V8
// deserializes a whole cache up front; 'full' covers all of them plus create/run/exec,
// spec and features. What is not reached here still works; it is compiled on first use.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CacheSet } from '../cache-sets';
import { newCgroup, type CgroupRef } from '../linux/cgroups';
import { buildExecPlan, buildPlan } from '../linux/plan';
import { parseSignal } from '../linux/signals';
import { loadNative } from '../native/shim';
import { loadBundle } from '../oci/load';
import { defaultSpec } from '../oci/spec-default';
import type { Spec } from '../oci/types';
import { runHooks } from '../runtime/hooks';
import type { ContainerRecord } from '../runtime/record';
import { toState } from '../runtime/status';
import { Store } from '../runtime/store';
import { main } from './cli';
import { fastParse } from './fastparse';

export async function warmUp(set: CacheSet): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-warmup-'));
  try {
    const f = fixture(tmp);
    const run = (...argv: string[]) => main(['--root', f.store.root, ...argv]);
    const all = set === 'full';
    if (all || set === 'state') {
      await run('state', 'running');
      await run('state', 'absent');
    }
    if (all || set === 'list') {
      await run('list');
      await run('list', '--format', 'json');
      await run('list', '-q');
    }
    if (all || set === 'kill') {
      await run('kill', 'stopped', 'KILL'); // refused: not running (nothing is signalled)
      for (const sig of ['KILL', 'SIGTERM', '15', 'RTMIN+3']) parseSignal(sig);
    }
    if (all || set === 'start') {
      await startCreated(f);
      await run('start', 'stopped'); // refused: stopped
    }
    if (all || set === 'delete') {
      await run('delete', 'running'); // refused: not stopped (no --force: nothing is signalled)
      await run('delete', 'stopped');
    }
    if (all) {
      await main(['--version']);
      await main(['spec', '--bundle', f.specDir]);
      await main(['spec', '--rootless', '--bundle', f.specDir]); // refuses: config.json exists
      await main(['features']);
      await run('create', '--bundle', path.join(tmp, 'no-bundle'), 'absent');
      for (const argv of [
        ['run', '-d', '--pid-file', 'p', '--console-socket', 's', '--no-pivot', '--preserve-fds', '2', 'x'],
        ['exec', '-t', '--cwd', '/', '-e', 'A=1', '-u', '1:1', '--cap', 'CAP_KILL', '--process', 'p.json', 'x', 'sh'],
        ['--log', 'l', '--log-format', 'json', '--systemd-cgroup', 'pause', 'x'],
        ['resume', 'x'],
        ['kill', '--all', 'x', 'SIGTERM'],
      ]) {
        fastParse(argv);
      }
      launchPaths(tmp, f);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

interface Fixture {
  store: Store;
  specDir: string;
  record(id: string, pid: number): ContainerRecord;
}

/**
 * A state root with a "running" container (its init: this process) and a "stopped" one
 * (a pid that cannot exist), whose cgroup is never created (reads of it fail). Made with
 * plain node calls only: bundle functions called here would land in every cache.
 */
function fixture(tmp: string): Fixture {
  const root = path.join(tmp, 'state');
  const specDir = path.join(tmp, 'spec');
  fs.mkdirSync(specDir);
  fs.mkdirSync(root, { mode: 0o700 });
  const name = `tsrun-warmup-${process.pid}`;
  const cgroup: CgroupRef = fs.existsSync('/sys/fs/cgroup/freezer')
    ? { mode: 'v1', path: `/${name}`, dirs: { freezer: `/sys/fs/cgroup/freezer/${name}`, pids: `/sys/fs/cgroup/pids/${name}` } }
    : { mode: 'v2', path: `/${name}`, dirs: { unified: `/sys/fs/cgroup/${name}` } };
  const startTime = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]) || 1;
  const record = (id: string, pid: number): ContainerRecord => ({
    version: 1,
    id,
    bundle: specDir,
    rootfs: path.join(specDir, 'rootfs'),
    pid,
    pidStartTime: pid === process.pid ? startTime(pid) : 1,
    created: new Date().toISOString(),
    config: { ociVersion: '1.2.0', annotations: { warmup: 'yes' }, hooks: {} },
    cgroup,
    owner: 'root',
  });
  for (const [id, pid] of [['running', process.pid], ['stopped', 0x3fffffff]] as const) {
    fs.mkdirSync(path.join(root, id), { mode: 0o700 });
    fs.writeFileSync(path.join(root, id, 'state.json'), JSON.stringify(record(id, pid)), { mode: 0o600 });
  }
  return { store: new Store(root), specDir, record };
}

/**
 * `start` for real: a shell stands in for a created init, blocked opening exec.fifo for
 * writing; start releases it and reads its "0". Skipped where mkfifo(1) is missing.
 */
async function startCreated({ store, record }: Fixture): Promise<void> {
  const dir = path.join(store.root, 'created');
  fs.mkdirSync(dir, { mode: 0o700 });
  const fifo = path.join(dir, 'exec.fifo');
  if (spawnSync('mkfifo', ['-m', '0600', fifo]).status !== 0) return;
  const init = spawn('/bin/sh', ['-c', 'printf 0 > "$0"', fifo], { stdio: 'ignore' });
  const exited = new Promise((resolve) => init.on('exit', resolve));
  const rec = record('created', init.pid!);
  rec.pidStartTime = 0; // unknown here without bundle code: 0 means "pid only"
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(rec), { mode: 0o600 });
  await main(['--root', store.root, 'start', 'created']);
  init.kill('SIGKILL'); // only matters if start failed
  await exited;
  await main(['--root', store.root, 'delete', 'created']);
}

/** create and exec up to the point where they would fork. */
function launchPaths(tmp: string, f: Fixture): void {
  const bundle = path.join(tmp, 'bundle');
  fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(richSpec()));
  const { spec, bundleDir, rootfs } = loadBundle(bundle);
  let cgroup: CgroupRef | undefined;
  try {
    cgroup = newCgroup({ id: 'warmup', cgroupsPath: spec.linux?.cgroupsPath }).ref;
  } catch {
    /* a build host without cgroups */
  }
  const fifoPath = path.join(tmp, 'exec.fifo');
  buildPlan({ id: 'warmup', spec, rootfs, bundle: bundleDir, fifoPath, noPivot: false, noNewKeyring: false, preserveFds: 0, cgroup });
  buildExecPlan({
    id: 'warmup',
    initPid: process.pid,
    namespaces: (spec.linux?.namespaces ?? []).map((n) => n.type),
    process: spec.process!,
    noNewKeyring: false,
    preserveFds: 0,
    seccomp: spec.linux?.seccomp,
  });
  runHooks('poststart', [{ path: '/bin/true' }], toState({ ...f.record('warmup', 1), config: spec }, 'running'), { warnOnly: true });
  try {
    loadNative();
  } catch {
    /* shim not built: nothing to train */
  }
}

/** The default spec plus most optional fields, so the validators' branches get compiled. */
function richSpec(): Spec {
  const spec = defaultSpec({ rootless: false });
  const p = spec.process!;
  p.terminal = false;
  p.user = { uid: 1, gid: 1, umask: 0o22, additionalGids: [5, 6] };
  p.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }, { type: 'RLIMIT_CORE', hard: 0, soft: 0 }];
  p.oomScoreAdj = 100;
  p.capabilities!.inheritable = ['CAP_KILL'];
  spec.domainname = 'example.org';
  spec.hooks = Object.fromEntries(
    ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].map((k) => [
      k,
      [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 5 }],
    ]),
  );
  spec.mounts!.push({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'ro', 'nosuid'] });
  const linux = spec.linux!;
  linux.namespaces = [...(linux.namespaces ?? []), { type: 'cgroup' }];
  linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }];
  linux.cgroupsPath = 'tsrun-warmup';
  linux.resources = {
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
    memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, swappiness: 10 },
    cpu: { shares: 1024, quota: 100000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 100 },
    blockIO: { weight: 100 },
  };
  linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['kexec_load', 'open_by_handle_at'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_NE' }] },
    ],
  };
  linux.maskedPaths = [...(linux.maskedPaths ?? []), '/proc/kcore'];
  return spec;
}
