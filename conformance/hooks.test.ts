// config.md "POSIX-platform Hooks" and runtime.md lifecycle steps 3-13 (runtime-spec 1.2):
// which operation runs each hook, in which order and namespace, with which state on stdin,
// and what a failing or hanging hook does to the lifecycle.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, Bundle, pidAlive, sleep, Suite, waitFor } from './lib/harness';
import { hookFile, hookLog, HookSpec, installHookScript, withHooks } from './lib/hooks';

const skip = announceSkip(__filename);

const ALL: HookSpec[] = [
  { kind: 'prestart' },
  { kind: 'createRuntime', name: 'createRuntime1' },
  { kind: 'createRuntime', name: 'createRuntime2' },
  { kind: 'createContainer' },
  { kind: 'startContainer' },
  { kind: 'poststart' },
  { kind: 'poststop' },
];

const CREATE_HOOKS = ['prestart', 'createRuntime1', 'createRuntime2', 'createContainer'];

// Waits for /m/go so the test controls when the container stops.
const WAITER = 'echo program >> /m/hooks.log; while [ ! -e /m/go ]; do sleep 0.05; done';

describe.skipIf(!!skip)('hooks', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('hooks');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  async function hooked(label: string, hooks: HookSpec[], args = ['sh', '-c', WAITER]): Promise<Bundle> {
    const b = await s.bundle(label, { args });
    installHookScript(b);
    s.editConfig(b, withHooks(b, hooks));
    return b;
  }
  const names = (b: Bundle) => hookLog(b).map((l) => l.name);

  describe('a full lifecycle with every hook', () => {
    let b: Bundle;
    let id: string;
    let pid: number;
    let containerMnt: string;
    let containerPidns: string;
    let afterCreate: string[] = [];
    const runtimeMnt = fs.readlinkSync('/proc/self/ns/mnt');
    const runtimePidns = fs.readlinkSync('/proc/self/ns/pid');

    beforeAll(async () => {
      b = await hooked('all', ALL);
      id = s.id('all');
    });

    // Hooks: prestart, createRuntime and createContainer run during create, in that order, and
    // entries of one kind run in the order listed; start's hooks have not run yet.
    it('create runs prestart, createRuntime (in listed order), createContainer and nothing else', () => {
      s.create(id, b);
      pid = s.state(id).pid!;
      containerMnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
      containerPidns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
      afterCreate = names(b);
      expect(afterCreate).toEqual(CREATE_HOOKS);
    });

    // State on stdin: the create-time hooks see the container being created ("creating": the
    // create operation has not finished). pid: as seen from the namespace the hook runs in.
    // The deprecated prestart hook is the exception: it once ran at start, and runtime-tools'
    // hooks_stdin test expects "created" there, so tsrun sends that.
    it('create-time hooks get status creating (prestart: created) and the pid as seen from their namespace', () => {
      const log = hookLog(b).filter((l) => CREATE_HOOKS.includes(l.name));
      expect(log.map((l) => l.name)).toEqual(CREATE_HOOKS);
      for (const l of log) expect(`${l.name} ${l.status}`).toBe(`${l.name} ${l.name === 'prestart' ? 'created' : 'creating'}`);
      for (const l of log.filter((x) => x.name !== 'createContainer')) expect(`${l.name} ${l.pid}`).toBe(`${l.name} ${pid}`);
      // createContainer runs in the container namespace, where the container process is pid 1.
      expect(log.find((l) => l.name === 'createContainer')?.pid).toBe('1');
    });

    // Hook state: the full container state (ociVersion, id, bundle) goes to every hook on stdin.
    it('passes the container state JSON (id, bundle, ociVersion) on stdin', () => {
      for (const name of CREATE_HOOKS) {
        const st = JSON.parse(hookFile(b, name, 'json') ?? 'null');
        expect(st, name).toBeTruthy();
        expect(st.id, name).toBe(id);
        expect(fs.realpathSync(st.bundle), name).toBe(fs.realpathSync(b.dir));
        expect(typeof st.ociVersion, name).toBe('string');
      }
    });

    // Hook entries: args and env are used as given.
    it('runs hooks with their args and env', () => {
      for (const name of CREATE_HOOKS) {
        expect(hookFile(b, name, 'env')).toBe(`env-of-${name}`);
      }
    });

    // prestart and createRuntime run in the runtime namespace; createContainer in the container's.
    it('runs create-time hooks in the right namespaces', () => {
      for (const name of ['prestart', 'createRuntime1', 'createRuntime2']) {
        expect(hookFile(b, name, 'mntns'), name).toBe(runtimeMnt);
        expect(hookFile(b, name, 'pidns'), name).toBe(runtimePidns);
      }
      expect(hookFile(b, 'createContainer', 'mntns')).toBe(containerMnt);
      expect(hookFile(b, 'createContainer', 'pidns')).toBe(containerPidns);
    });

    // startContainer runs during start before the program; poststart after the program is
    // executed but before start returns. startContainer's path resolves inside the container.
    it('start runs startContainer before the program, and poststart before start returns', () => {
      s.start(id);
      // Only what start added, minus the program's own line (it races with poststart).
      const added = names(b).slice(afterCreate.length).filter((n) => n !== 'program');
      expect(added).toEqual(['startContainer', 'poststart']);
    });

    it('the user program runs after startContainer', async () => {
      expect(await waitFor(() => names(b).includes('program'))).toBe(true);
      const n = names(b);
      expect(n.indexOf('program')).toBeGreaterThan(n.indexOf('startContainer'));
    });

    // startContainer sees "created" (create finished, program not yet executed), in the container
    // namespace (pid 1); poststart sees "running" and the host pid, in the runtime namespace.
    it('startContainer gets status created and pid 1; poststart gets running and the host pid', () => {
      const log = hookLog(b);
      const sc = log.find((l) => l.name === 'startContainer');
      const ps = log.find((l) => l.name === 'poststart');
      expect(`${sc?.status} ${sc?.pid}`).toBe('created 1');
      expect(`${ps?.status} ${ps?.pid}`).toBe(`running ${pid}`);
      expect(hookFile(b, 'startContainer', 'mntns')).toBe(containerMnt);
      expect(hookFile(b, 'startContainer', 'pidns')).toBe(containerPidns);
      expect(hookFile(b, 'poststart', 'mntns')).toBe(runtimeMnt);
      expect(hookFile(b, 'poststart', 'env')).toBe('env-of-poststart');
    });

    // poststop runs during delete, after the container is gone, with status stopped; not before.
    it('delete runs poststop last, with status stopped', async () => {
      fs.writeFileSync(path.join(b.host, 'go'), '');
      expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
      await sleep(200);
      expect(names(b)).not.toContain('poststop');
      s.ok(['delete', id]);
      const log = hookLog(b);
      expect(log.at(-1)?.name).toBe('poststop');
      expect(log.at(-1)?.status).toBe('stopped');
      expect(log.filter((l) => l.name === 'poststop')).toHaveLength(1);
      expect(hookFile(b, 'poststop', 'mntns')).toBe(runtimeMnt);
      const st = JSON.parse(hookFile(b, 'poststop', 'json') ?? 'null');
      expect(st?.id).toBe(id);
    });
  });

  // Lifecycle steps 3-5: a failing prestart / createRuntime / createContainer hook makes create
  // error, the container is stopped and destroyed (step 12): nothing is left, later hooks and the
  // program never run.
  for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
    it(`a failing ${kind} hook fails create and leaves nothing`, async () => {
      const hooks = ALL.filter((h) => h.kind !== kind);
      hooks.splice(ALL.findIndex((h) => h.kind === kind), 0, { kind, name: kind, mode: 'fail' });
      const b = await hooked(`fail-${kind}`, hooks);
      const id = s.id(`fail-${kind}`);
      const r = s.rt(['create', '--bundle', b.dir, id]);
      expect(r.code).not.toBe(0);
      expect(s.leftovers(id, b)).toEqual([]);
      const n = names(b);
      expect(n).toContain(kind);
      const order = ['prestart', 'createRuntime1', 'createRuntime2', 'createContainer', 'startContainer', 'poststart', 'program'];
      const failedAt = n.indexOf(kind);
      expect(n.slice(failedAt + 1).filter((x) => order.includes(x))).toEqual([]);
      expect(n).not.toContain('program');
    });
  }

  // Lifecycle: after a failing create-time hook the lifecycle continues at step 12 and then 13,
  // so poststop hooks still run.
  it('a failing createRuntime hook still leads to the poststop hooks', async () => {
    const b = await hooked('fail-poststop', [
      { kind: 'createRuntime', mode: 'fail' },
      { kind: 'poststop' },
    ]);
    const id = s.id('fail-poststop');
    expect(s.rt(['create', '--bundle', b.dir, id]).code).not.toBe(0);
    expect(names(b)).toEqual(['createRuntime', 'poststop']);
  });

  // Lifecycle step 7: a failing startContainer hook makes start error and stops the container;
  // the program never runs.
  it('a failing startContainer hook fails start and stops the container', async () => {
    const b = await hooked('fail-startc', [{ kind: 'startContainer', mode: 'fail' }]);
    const id = s.id('fail-startc');
    s.create(id, b);
    const pid = s.state(id).pid!;
    expect(s.rt(['start', id]).code).not.toBe(0);
    expect(await waitFor(() => !pidAlive(pid))).toBe(true);
    const st = s.tryState(id);
    if (st) expect(st.status).toBe('stopped');
    await sleep(200);
    expect(names(b)).toEqual(['startContainer']);
  });

  // Lifecycle step 9 (1.2): a failing poststart hook is only a warning: start succeeds, the
  // remaining poststart hooks run and the container keeps running.
  it('a failing poststart hook is a warning: start succeeds and later hooks run', async () => {
    const b = await hooked('fail-poststart', [
      { kind: 'poststart', name: 'poststart1', mode: 'fail' },
      { kind: 'poststart', name: 'poststart2' },
    ]);
    const id = s.id('fail-poststart');
    s.create(id, b);
    const r = s.rt(['start', id]);
    expect(r.code).toBe(0);
    expect(names(b).filter((n) => n.startsWith('poststart'))).toEqual(['poststart1', 'poststart2']);
    expect(await waitFor(() => names(b).includes('program'))).toBe(true);
    expect(s.state(id).status).toBe('running');
  });

  // Lifecycle step 13: a failing poststop hook is only a warning: delete succeeds, the remaining
  // poststop hooks run and the container is gone.
  it('a failing poststop hook is a warning: delete succeeds and later hooks run', async () => {
    const b = await hooked(
      'fail-poststop2',
      [
        { kind: 'poststop', name: 'poststop1', mode: 'fail' },
        { kind: 'poststop', name: 'poststop2' },
      ],
      ['true'],
    );
    const id = s.id('fail-poststop2');
    s.create(id, b);
    s.start(id);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    expect(s.rt(['delete', id]).code).toBe(0);
    expect(names(b)).toEqual(['poststop1', 'poststop2']);
    expect(s.leftovers(id, b)).toEqual([]);
  });

  // Hook timeout: a hook still running after `timeout` seconds is aborted; for a create-time
  // hook that is a failure, so create errors and leaves nothing.
  it('honours a hook timeout: the hung hook is aborted and create fails cleanly', async () => {
    const b = await hooked('timeout', [{ kind: 'createRuntime', mode: 'sleep', timeout: 2 }]);
    const id = s.id('timeout');
    const t0 = Date.now();
    const r = s.rt(['create', '--bundle', b.dir, id], { timeoutMs: 40_000 });
    const took = Date.now() - t0;
    expect(r.code).not.toBe(0);
    expect(r.signal).toBeNull();
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(15_000);
    expect(s.leftovers(id, b)).toEqual([]);
    const hookPid = Number(hookFile(b, 'createRuntime', 'pid'));
    expect(hookPid).toBeGreaterThan(0);
    expect(await waitFor(() => !pidAlive(hookPid), 3000)).toBe(true);
  });
});
