// create's and exec's parent side against a scripted shim (test/helpers/fake-native.ts):
// every failure leaves nothing behind. No root needed: the container's user is ours, the
// cgroups are fakes, stage 1 and the init are plain `sleep` processes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { create } from '../../src/runtime/create';
import { exec } from '../../src/runtime/exec';
import { state } from '../../src/runtime/state';
import { Store } from '../../src/runtime/store';
import { ErrorCode, TsrunError } from '../../src/common/errors';
import { SYNC } from '../../src/native/shim';
import { procStartTime } from '../../src/linux/proc';
import type { CgroupOptions } from '../../src/linux/cgroups/types';
import type { Spec } from '../../src/oci/types';
import { FakeCgroup, FakeNative, msg } from '../helpers/fake-native';

let tmp: string;
let root: string;
let bundle: string;
let fakes: FakeNative[] = [];
let cgroups: FakeCgroup[] = [];

function writeConfig(mutate?: (s: Spec) => void): void {
  const spec: Spec = {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: process.getuid!(), gid: process.getgid!() } },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
    hooks: {
      // Each runtime hook appends "<name> <status>" to a file, reading the state from stdin.
      ...Object.fromEntries(
        ['prestart', 'createRuntime', 'poststop'].map((h) => [
          h,
          [{ path: '/bin/sh', args: ['sh', '-c', `echo "${h} $(sed -n 's/.*"status":"\\([a-z]*\\)".*/\\1/p')" >> ${tmp}/hooks.log`] }],
        ]),
      ),
    },
  };
  mutate?.(spec);
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
}

function deps(script: ConstructorParameters<typeof FakeNative>[0]) {
  const native = new FakeNative(script);
  fakes.push(native);
  const newCgroup = (o: CgroupOptions) => {
    const c = new FakeCgroup(o);
    cgroups.push(c);
    return c;
  };
  return { native, deps: { native, newCgroup } };
}

async function failure(p: Promise<unknown>): Promise<TsrunError> {
  const err = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TsrunError);
  return err as TsrunError;
}

const hooksRan = () => (fs.existsSync(`${tmp}/hooks.log`) ? fs.readFileSync(`${tmp}/hooks.log`, 'utf8').trim().split('\n') : []);

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fake-'));
  root = path.join(tmp, 'root');
  bundle = path.join(tmp, 'bundle');
  fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  writeConfig();
});

afterEach(() => {
  for (const f of fakes) f.killAll();
  fakes = [];
  cgroups = [];
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('create: clean-up on failure (scripted shim)', () => {
  it('stage 1 fails before the init exists: stage 1 killed, cgroup and state dir removed, no poststop', async () => {
    const { native, deps: d } = deps([msg.error('setns /proc/1/ns/net: EPERM (Operation not permitted)')]);
    const err = await failure(create({ root }, { id: 'c1', bundle }, d));
    expect(err.message).toBe('setns /proc/1/ns/net: EPERM (Operation not permitted)');
    expect([err.code, err.errno]).toEqual([ErrorCode.Syscall, 'EPERM']);
    expect(await native.fate('stage1')).toBe('SIGKILL');
    expect(native.closed).toEqual([FakeNative.SYNC_FD]);
    expect(cgroups[0].calls).toEqual([`apply ${native.pids.stage1}`, 'set', 'destroy']);
    expect(fs.existsSync(path.join(root, 'c1'))).toBe(false);
    expect(hooksRan()).toEqual([]);
  });

  it('the init fails building the rootfs: init killed, cgroup and state dir removed, poststop run once', async () => {
    const { native, deps: d } = deps([msg.initPid, msg.error('mount proc on /proc: EACCES (Permission denied)')]);
    const err = await failure(create({ root }, { id: 'c2', bundle }, d));
    expect(err.message).toBe('mount proc on /proc: EACCES (Permission denied)');
    expect(await native.fate('init')).toBe('SIGKILL');
    // Stage 1 had reported and was reaped: cleanup does not kill it again.
    expect(native.waited[0]).toBe(native.pids.stage1);
    expect(native.waited).toContain(native.pids.init);
    // The init got its GO with the two in-container hook states (creating, created).
    const go = native.sent.filter((m) => m.type === SYNC.GO);
    expect(go).toHaveLength(2);
    expect(go[1].payload!.split('\0').filter(Boolean).map((s) => JSON.parse(s).status)).toEqual(['creating', 'created']);
    expect(cgroups[0].calls.at(-1)).toBe('destroy');
    expect(fs.existsSync(path.join(root, 'c2'))).toBe(false);
    expect(hooksRan()).toEqual(['prestart created', 'createRuntime creating', 'poststop stopped']);
  });

  it('the init dies silently: named as such, same clean-up', async () => {
    const { native, deps: d } = deps([msg.initPid, msg.eof]);
    const err = await failure(create({ root }, { id: 'c3', bundle }, d));
    expect(err.message).toBe('container init exited while setting up the container');
    expect(await native.fate('init')).toBe('SIGKILL');
    expect(fs.existsSync(path.join(root, 'c3'))).toBe(false);
    expect(hooksRan().at(-1)).toBe('poststop stopped');
  });

  it('a failing createRuntime hook aborts create (hook table: fail); the init never gets its GO', async () => {
    writeConfig((s) => {
      s.hooks!.createRuntime = [{ path: '/bin/sh', args: ['sh', '-c', 'echo no way >&2; exit 3'] }];
    });
    const { native, deps: d } = deps([msg.initPid]);
    const err = await failure(create({ root }, { id: 'c4', bundle }, d));
    expect(err.message).toBe('createRuntime hook #0 (/bin/sh): exited with status 3: no way');
    expect(err.code).toBe(ErrorCode.Hook);
    expect(native.sent.filter((m) => m.type === SYNC.GO)).toHaveLength(1);
    expect(await native.fate('init')).toBe('SIGKILL');
    expect(cgroups[0].calls.at(-1)).toBe('destroy');
    expect(fs.existsSync(path.join(root, 'c4'))).toBe(false);
    expect(hooksRan()).toEqual(['prestart created', 'poststop stopped']);
  });

  it('a silent stage 1 times out (timeout code) and is cleaned up', async () => {
    const { native, deps: d } = deps([null]);
    const err = await failure(create({ root }, { id: 'c5', bundle }, d));
    expect(err.message).toBe('timed out setting up namespaces after 60s');
    expect(err.code).toBe(ErrorCode.Timeout);
    expect(await native.fate('stage1')).toBe('SIGKILL');
    expect(fs.existsSync(path.join(root, 'c5'))).toBe(false);
  });

  it('success: the record is saved, the init is left running and the container is "created"', async () => {
    const { native, deps: d } = deps([msg.initPid, msg.ready]);
    await create({ root }, { id: 'c6', bundle }, d);
    const s = state({ root }, 'c6');
    expect([s.status, s.pid]).toEqual(['created', native.pids.init]);
    expect(await native.fate('init')).toBe('alive');
    // An absent device list still means runc's default policy.
    expect(cgroups[0].resources).toEqual({ devices: [] });
    expect(cgroups[0].calls).not.toContain('destroy');
    expect(hooksRan()).toEqual(['prestart created', 'createRuntime creating']);
  });
});

describe('exec: clean-up on failure (scripted shim)', () => {
  function running(id: string, native: FakeNative): void {
    const pid = native.child('container');
    const store = new Store(root);
    store.reserve(id);
    store.save({
      version: 1, id, bundle, rootfs: path.join(bundle, 'rootfs'), pid, pidStartTime: procStartTime(pid) ?? 0,
      created: new Date().toISOString(), config: JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')), owner: '', cgroup: null,
    });
  }
  const proc = { cwd: '/', args: ['true'], user: { uid: process.getuid!(), gid: process.getgid!() } };

  it('joining fails: stage 1 killed, the socket closed', async () => {
    const { native, deps: d } = deps([msg.error('setns /proc/1/ns/mnt: EPERM (Operation not permitted)')]);
    running('e1', native);
    const err = await failure(exec({ root }, { id: 'e1', process: proc }, d));
    expect(err.errno).toBe('EPERM');
    expect(await native.fate('stage1')).toBe('SIGKILL');
    expect(native.closed).toEqual([FakeNative.SYNC_FD]);
    expect(await native.fate('container')).toBe('alive');
  });

  it('the process fails before execve: it is killed too', async () => {
    const { native, deps: d } = deps([msg.initPid, msg.error('chdir /nope: ENOENT (No such file or directory)')]);
    running('e2', native);
    const err = await failure(exec({ root }, { id: 'e2', process: proc }, d));
    expect(err.message).toBe('chdir /nope: ENOENT (No such file or directory)');
    expect(await native.fate('init')).toBe('SIGKILL');
    expect(await native.fate('container')).toBe('alive');
  });
});
