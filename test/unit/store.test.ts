// The state store: id rules, atomic reserve across processes, atomic save, locks (across
// processes, re-entrant, stale-lock breaking), and derived status with real processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../src/runtime/record';
import { parseStat, procStartTime, procStat } from '../../src/linux/proc';
import { containerState, deriveStatus, toState } from '../../src/runtime/status';
import { cliState as format } from '../../src/cli/format';
import type { Status } from '../../src/oci/types';

const cliState = (rec: ContainerRecord, status: Status) => format(containerState(rec, status));
import { Store } from '../../src/runtime/store';

const REPO = path.resolve(__dirname, '../..');
let tmp: string;
let bundled: string; // store.ts bundled for child processes

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-store-'));
  const esbuild = await import('esbuild');
  bundled = path.join(tmp, 'store.cjs');
  esbuild.buildSync({ entryPoints: [path.join(REPO, 'src/runtime/store.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundled, external: ['koffi'], logLevel: 'error' });
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function record(id: string, pid: number, start: number | null, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    version: 1, id, bundle: '/b', rootfs: '/b/rootfs', pid, pidStartTime: start ?? 0, created: '2024-01-01T00:00:00.000Z',
    config: { ociVersion: '1.2.0' }, cgroup: null, owner: 'root', ...extra,
  };
}

/** Run n node processes at once, each running body with `Store` and `root` in scope; their stdouts. */
function parallel(n: number, body: string): Promise<string[]> {
  const go = Date.now() + 300; // all start work at the same moment
  const script = `const {Store}=require(${JSON.stringify(bundled)});const root=${JSON.stringify(tmp)};
    while(Date.now()<${go});(async()=>{${body}})().catch(e=>{console.log('ERR '+e.message);});`;
  return Promise.all(
    Array.from({ length: n }, () => new Promise<string>((resolve) => {
      const c = spawn(process.execPath, ['-e', script]);
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('close', () => resolve(out.trim()));
    })),
  );
}

describe('Store ids', () => {
  it('accepts runc ids', () => {
    for (const id of ['a', 'abc-123', 'A_b.c+d', 'x,y', '...', '.a', '007']) expect(() => Store.validateId(id), id).not.toThrow();
  });
  it('rejects ids that are empty, dot paths or hold a separator', () => {
    for (const id of ['', '.', '..', '../x', 'a/b', '/a', 'a b', 'a\n', 'ä', 'a:b']) {
      expect(() => Store.validateId(id), JSON.stringify(id)).toThrow(/invalid container ID format/);
    }
  });
  it('never builds a path outside the root', () => {
    const s = new Store(tmp);
    expect(() => s.dir('../etc')).toThrow(/invalid container ID/);
    expect(s.fifoPath('c')).toBe(path.join(tmp, 'c', 'exec.fifo'));
  });
});

describe('Store records', () => {
  it('reserve creates 0700 dirs and refuses a taken id', () => {
    const root = path.join(tmp, 'r1', 'nested');
    const s = new Store(root);
    s.reserve('c1');
    expect(fs.statSync(root).mode & 0o777).toBe(0o700);
    expect(fs.statSync(s.dir('c1')).mode & 0o777).toBe(0o700);
    expect(() => s.reserve('c1')).toThrow('container with id exists: c1');
  });

  it('exactly one of 20 processes reserving one id wins', async () => {
    const out = await parallel(20, `try{new Store(root).reserve('race');console.log('won')}catch(e){console.log(e.message)}`);
    expect(out.filter((o) => o === 'won')).toHaveLength(1);
    expect(out.filter((o) => o === 'container with id exists: race')).toHaveLength(19);
  });

  it('save/load round-trips through an atomic 0600 file; load of an unknown id says so', () => {
    const s = new Store(tmp);
    s.reserve('rt');
    const rec = record('rt', 1, 5);
    s.save(rec);
    expect(s.load('rt')).toEqual(rec);
    expect(fs.statSync(path.join(s.dir('rt'), 'state.json')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(s.dir('rt'))).toEqual(['state.json']);
    expect(() => s.load('nope')).toThrow('container "nope" does not exist');
    expect(() => s.load('a/b')).toThrow(/invalid container ID/);
    fs.writeFileSync(path.join(s.dir('rt'), 'state.json'), '{bad');
    expect(() => s.load('rt')).toThrow(/state of container "rt" is corrupt/);
  });

  it('ids lists container dirs only, sorted; remove frees the id', () => {
    const root = path.join(tmp, 'r2');
    const s = new Store(root);
    expect(s.ids()).toEqual([]);
    for (const id of ['b', 'a', 'c', '.d']) s.reserve(id);
    fs.writeFileSync(path.join(root, 'stray-file'), '');
    fs.mkdirSync(path.join(root, '~deleted.x')); // a tomb: "~" is no id character
    expect(s.ids()).toEqual(['.d', 'a', 'b', 'c']);
    s.remove('b');
    s.remove('b'); // missing is fine
    expect(s.ids()).toEqual(['.d', 'a', 'c']);
    s.reserve('b');
  });
});

describe('Store locks', () => {
  it('serializes critical sections across processes (no lost updates)', async () => {
    const s = new Store(tmp);
    s.reserve('locked');
    const counter = path.join(tmp, 'counter');
    fs.writeFileSync(counter, '0');
    const out = await parallel(
      10,
      `const fs=require('fs');await new Store(root).withLock('locked',async()=>{const n=Number(fs.readFileSync(${JSON.stringify(counter)},'utf8'));
       await new Promise(r=>setTimeout(r,5));fs.writeFileSync(${JSON.stringify(counter)},String(n+1));});console.log('ok')`,
    );
    expect(out).toEqual(Array(10).fill('ok'));
    expect(fs.readFileSync(counter, 'utf8')).toBe('10');
    expect(fs.existsSync(path.join(s.dir('locked'), 'lock'))).toBe(false);
  });

  it('serializes parallel calls in one process, in call order, even after a failure', async () => {
    const s = new Store(tmp);
    s.reserve('inproc');
    const events: string[] = [];
    const section = (n: string, fail = false) =>
      s.withLock('inproc', async () => {
        events.push(`in ${n}`);
        await new Promise((r) => setTimeout(r, 10));
        events.push(`out ${n}`);
        if (fail) throw new Error(`failed ${n}`);
      });
    const results = await Promise.allSettled([section('a'), section('b', true), section('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(events).toEqual(['in a', 'out a', 'in b', 'out b', 'in c', 'out c']);
    expect(fs.existsSync(path.join(s.dir('inproc'), 'lock'))).toBe(false);
  });

  it('breaks a lock whose holder is dead', async () => {
    const s = new Store(tmp);
    s.reserve('stale');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim();
    fs.writeFileSync(path.join(s.dir('stale'), 'lock'), `${dead} 1 tok`);
    expect(await s.withLock('stale', () => 'got it')).toBe('got it');
  });

  it('says the container does not exist when its dir is gone', async () => {
    await expect(new Store(tmp).withLock('ghost', () => 1)).rejects.toThrow('container "ghost" does not exist');
  });
});

describe('status', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const sleeper = (cmd = 'exec sleep 30') => {
    const c = spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(c);
    return c;
  };

  it('parses /proc/<pid>/stat even when comm holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    expect(parseStat(`123 (a) b (c)) ${fields.join(' ')}`)).toEqual({ state: 'S', startTime: 22 });
    expect(parseStat('garbage')).toBeNull();
    expect(procStat(process.pid)?.state).toMatch(/[RS]/);
    expect(procStartTime(process.pid)).toBeGreaterThan(0);
    expect(procStartTime(0)).toBeNull();
    expect(procStartTime(2 ** 22 + 1)).toBeNull();
  });

  it('created while exec.fifo exists, running once it is gone, stopped when the pid dies', async () => {
    const s = new Store(tmp);
    s.reserve('st1');
    const c = sleeper();
    const rec = record('st1', c.pid!, procStartTime(c.pid!));
    fs.writeFileSync(s.fifoPath('st1'), '');
    expect(deriveStatus(rec, s)).toBe('created');
    fs.unlinkSync(s.fifoPath('st1'));
    expect(deriveStatus(rec, s)).toBe('running');
    c.kill('SIGKILL');
    await new Promise((r) => c.on('exit', r));
    expect(deriveStatus(rec, s)).toBe('stopped');
  });

  it('a reused pid (other start time) is stopped', () => {
    const s = new Store(tmp);
    const c = sleeper();
    expect(deriveStatus(record('st2', c.pid!, procStartTime(c.pid!)! + 1), s)).toBe('stopped');
    expect(deriveStatus(record('st2', 0, 0), s)).toBe('stopped');
  });

  it('a zombie init is stopped', async () => {
    const s = new Store(tmp);
    // sh forks a short sleep, then execs a long one, which never reaps it: a zombie we know
    // the pid of. (A child that exits at once may be reaped by sh itself before its exec.)
    const c = sleeper('sleep 0.1 & echo $!; exec sleep 30');
    const pid = Number(await new Promise<string>((r) => c.stdout!.once('data', (d) => r(String(d)))));
    let st = procStat(pid);
    for (let i = 0; i < 300 && st?.state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      st = procStat(pid);
    }
    expect(st?.state).toBe('Z');
    expect(deriveStatus(record('st3', pid, st!.startTime), s)).toBe('stopped');
  });

  it('state documents: spec state for hooks and the API, runc layout for the CLI', () => {
    const rec = record('st4', 77, 1, { config: { ociVersion: '1.2.0', annotations: { a: 'b' } } });
    expect(Object.keys(toState(rec, 'running'))).toEqual(['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations']);
    expect(toState(rec, 'stopped').pid).toBeUndefined();
    expect(containerState(rec, 'running')).toEqual({ ...toState(rec, 'running'), rootfs: rec.rootfs, created: rec.created });
    const cli = cliState(rec, 'running');
    expect(Object.keys(cli)).toEqual(['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    expect(cliState(rec, 'stopped').pid).toBe(0);
    expect(Object.keys(cliState(record('st5', 1, 1), 'created'))).not.toContain('annotations');
  });
});
