// Checkpoint and restore for real, where CRIU works (the v2host guest tier: Debian 12's
// criu on its 6.1 kernel; `criu check` fails on the development host, where this skips).
// Each scenario runs against tsrun and, beside it, Debian's runc, and checks the effect
// from outside: the restored process continues counting where the checkpointed one
// stopped (its stdout pipe and a file in the bind mount /m), the state says running with
// the restored pid, the pid sits in the container's cgroup.
// Then the callers: `podman container checkpoint/restore --runtime` and containerd's
// `ctr task checkpoint --runc-binary`, against both runtimes too.
// Containers get pipes for stdio, as podman's conmon gives them: CRIU cannot dump a
// file the container reaches through a mount outside its own namespace (a host log file),
// and the restore hands the new caller's pipes to the restored process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, RUNC, type Config, pidAlive, skipReason, Suite, waitFor } from '../../conformance/lib/harness';
import { run, startContainerd, teardown, waitUntil } from '../helpers/callers';
import { busyboxRootfsTar, ociImageTar } from '../helpers/images';

function why(): string | undefined {
  const base = skipReason();
  if (base) return base;
  const r = spawnSync('criu', ['check'], { encoding: 'utf8' });
  if (r.error) return 'criu is not installed';
  if (r.status !== 0) return `criu check fails here: ${`${r.stderr}${r.stdout}`.split('\n').find((l) => l.includes('Error')) ?? `exit ${r.status}`}`;
  return undefined;
}
const skip = why();
if (skip) console.warn(`[checkpoint-criu] skipped: ${skip}`);
const lazySkip = skip ?? (spawnSync('criu', ['check', '--feature', 'uffd-noncoop']).status !== 0 ? "criu check --feature uffd-noncoop fails (no userfaultfd for lazy pages)" : undefined);
if (lazySkip && !skip) console.warn(`[checkpoint-criu] lazy-pages case skipped: ${lazySkip}`);
const runtimes: Array<[string, string]> = [['tsrun', BIN]];
if (fs.existsSync(RUNC)) runtimes.push(['runc', RUNC]);
const suites = new Map(runtimes.map(([name, bin]) => [name, new Suite(`criu-${name}`, bin)]));
const cleanups: Array<() => void> = [];
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  for (const c of cleanups) c();
  for (const s of suites.values()) await s.cleanup();
});
const procs: ChildProcess[] = [];
const WAIT = 60_000;

/** A runtime call whose stdout/stderr are a real pipe kept open (node's 'pipe' stdio are
 *  unix sockets, which CRIU would need --ext-unix-sk for) and stdin /dev/null: the
 *  container inherits them. cat relays the pipe; the runtime's exit code comes on fd 3. */
class Piped {
  out = '';
  readonly exited: Promise<number | null>;
  /** stdout's EOF: every process holding the pipe (the container) is gone. */
  readonly ended: Promise<void>;
  private proc: ChildProcess;
  constructor(s: Suite, args: string[]) {
    const script = '{ "$0" "$@" </dev/null 2>&1 3>&-; echo "exit:$?" >&3; } | cat';
    this.proc = spawn('/bin/sh', ['-c', script, s.bin, '--root', s.root, ...args], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
    procs.push(this.proc);
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    const status = this.proc.stdio[3] as NodeJS.ReadableStream;
    let text = '';
    this.exited = new Promise((resolve) => {
      status.on('data', (d: Buffer) => {
        text += d.toString();
        const m = text.match(/exit:(\d+)/);
        if (m) resolve(Number(m[1]));
      });
      this.proc.once('exit', () => resolve(null));
    });
    this.ended = new Promise((resolve) => this.proc.stdout!.once('close', () => resolve()));
  }
  get err(): string {
    return this.out.split('\n').filter((l) => !/^\d+$/.test(l)).join('\n');
  }
  /** Everything the container wrote, once it is gone (bounded). */
  async drained(): Promise<number> {
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, WAIT))]);
    return Math.max(0, ...this.numbers());
  }
  /** The numbers the counter printed so far. */
  numbers(): number[] {
    return this.out.replace(/\r/g, '').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  }
  async ok(): Promise<void> {
    const code = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r('still running'), WAIT * 4))]);
    if (code !== 0) throw new Error(`exit ${code}: ${this.err.trim()}`);
  }
  close(): void {
    this.proc.stdout!.destroy();
    (this.proc.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
}

/** Counts to stdout and into /m/count, one number per 0.2 s. */
const COUNTER = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; echo $i > /m/count; sleep 0.2; done'];

async function counting(p: Piped, above: number): Promise<number> {
  const n = await waitFor(() => {
    const v = p.numbers();
    return v.length && v[v.length - 1] > above ? v[v.length - 1] : 0;
  }, WAIT);
  if (!n) throw new Error(`counter did not pass ${above}: stdout ${JSON.stringify(p.out.slice(-200))}, stderr ${p.err.trim()}`);
  return n;
}

/** The restored container: running, a live pid in its cgroup. */
function checkRestored(s: Suite, id: string, cgroupsPath: string, oldPid: number, inCgroup = true): number {
  const st = s.state(id);
  expect(st.status).toBe('running');
  expect(st.pid).toBeGreaterThan(0);
  expect(st.pid).not.toBe(oldPid);
  expect(pidAlive(st.pid!)).toBe(true);
  const cg = fs.readFileSync(`/proc/${st.pid}/cgroup`, 'utf8');
  // With a cgroup namespace the process sees "/", so ask from the host side: cgroup.procs.
  const procsFile = path.join('/sys/fs/cgroup', cgroupsPath, 'cgroup.procs');
  if (inCgroup) expect(fs.readFileSync(procsFile, 'utf8').split('\n')).toContain(String(st.pid));
  expect(cg).toMatch(/^0::/);
  return st.pid!;
}

/** The restored counter picks up where the old one stopped: old + new output, overlap
 *  (pipe data CRIU carried over) removed, is 1..n with nothing missing. */
function expectContinues(old: number[], restored: number[]): void {
  expect(restored.length).toBeGreaterThan(0);
  expect(restored[0]).toBeLessThanOrEqual(Math.max(...old) + 1);
  const all = [...new Set([...old, ...restored])].sort((a, b) => a - b);
  expect(all).toEqual(all.map((_, i) => i + 1));
}

/** The controlling terminal of pid (field tty_nr of /proc/PID/stat; 0: none). */
function ttyNr(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]);
}

/** A --console-socket receiver (test/helpers/recvtty.py): what the container writes to its
 *  terminal, optionally typing input into it first. */
class TtyReceiver {
  out = '';
  readonly ended: Promise<void>;
  constructor(
    readonly sock: string,
    input?: string,
  ) {
    const proc = spawn('python3', [path.join(__dirname, '../helpers/recvtty.py'), sock, ...(input ? ['--input', input] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(proc);
    proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.ended = new Promise((resolve) => proc.once('exit', () => resolve()));
  }
  async listening(): Promise<void> {
    if (!(await waitFor(() => this.out.includes('listening'), WAIT))) throw new Error(`recvtty on ${this.sock} did not start`);
  }
  numbers(): number[] {
    return this.out.replace(/\r/g, '').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  }
}

describe.skipIf(!!skip).each(runtimes)('checkpoint/restore through CRIU: %s', (name) => {
  const s = suites.get(name)!;

  it('counter: checkpoint (the container goes away), restore under the same id, it counts on from where it stopped', async () => {
    const b = await s.bundle('same', { args: COUNTER });
    const id = s.id('same');
    const run = new Piped(s, ['run', '-d', '--bundle', b.dir, id]);
    await run.ok();
    const pid = s.state(id).pid!;
    await counting(run, 3);
    const images = path.join(s.tmp, `img-${id}`);
    s.ok(['checkpoint', '--image-path', images, id], { timeoutMs: WAIT });
    // Without --leave-running the container is gone: no state, no process.
    expect(s.rt(['state', id]).code).toBe(1);
    expect(await waitFor(() => !pidAlive(pid), WAIT)).toBe(true);
    const last = await run.drained();
    run.close();
    // A rootfs without the bind mount's mountpoint (as a fresh copy of the image would be):
    // restore makes it, as create did.
    const mountpoint = path.join(b.dir, 'rootfs', 'm');
    fs.rmdirSync(mountpoint);
    const pidFile = path.join(s.tmp, `${id}.pid`);
    const rs = new Piped(s, ['restore', '-d', '--image-path', images, '--bundle', b.dir, '--pid-file', pidFile, id]);
    await rs.ok();
    const newPid = checkRestored(s, id, b.cgroupsPath, pid);
    expect(Number(fs.readFileSync(pidFile, 'utf8'))).toBe(newPid);
    expect(fs.statSync(mountpoint).isDirectory()).toBe(true);
    // It continues: together the two pipes carry 1, 2, 3, ... with nothing missing.
    await counting(rs, last + 2);
    expectContinues(run.numbers(), rs.numbers());
    // And through the bind mount, mapped back to the bundle's source.
    expect(await waitFor(() => Number(fs.readFileSync(path.join(b.host, 'count'), 'utf8')) > last + 1, WAIT)).toBe(true);
    s.ok(['delete', '-f', id]);
    rs.close();
  });

  it('counter: checkpoint --leave-running keeps it counting; restore under a new id counts on from the checkpoint', async () => {
    const b = await s.bundle('leave', { args: COUNTER });
    const id = s.id('leave');
    const run = new Piped(s, ['run', '-d', '--bundle', b.dir, id]);
    await run.ok();
    const pid = s.state(id).pid!;
    const before = await counting(run, 3);
    const images = path.join(s.tmp, `img-${id}`);
    s.ok(['checkpoint', '--leave-running', '--image-path', images, id], { timeoutMs: WAIT });
    expect(s.state(id)).toMatchObject({ status: 'running', pid });
    const after = await counting(run, run.numbers().pop()! + 1);
    s.ok(['delete', '-f', id]);
    run.close();
    const id2 = s.id('leave-new');
    const rs = new Piped(s, ['restore', '-d', '--image-path', images, '--bundle', b.dir, id2]);
    await rs.ok();
    checkRestored(s, id2, b.cgroupsPath, pid);
    await counting(rs, 0);
    const first = rs.numbers()[0];
    expect(first).toBeGreaterThan(before);
    expect(first).toBeLessThanOrEqual(after);
    s.ok(['delete', '-f', id2]);
    rs.close();
  });

  // A named netns with lo up, as CNI hands one over: CRIU keeps it as external (runc and
  // tsrun leave a container's own network namespace empty on restore). Between checkpoint and
  // restore the caller makes it again, as CNI would: CRIU 3.17 leaves its iptables network
  // lock in the old one after the dump, and restoring into that same namespace locks it a
  // second time, which its unlock cannot undo (seen with runc and tsrun alike).
  it('an established TCP connection and a listener on loopback, in a network namespace given by path: refused without --tcp-established, carried over with it', async () => {
    const netns = `tsrun-criu-${process.pid}-${name}`;
    const mkNetns = () => {
      expect(spawnSync('ip', ['netns', 'add', netns]).status).toBe(0);
      expect(spawnSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']).status).toBe(0);
    };
    mkNetns();
    cleanups.push(() => spawnSync('ip', ['netns', 'del', netns]));
    const inNs = (args: string[]) => spawnSync('ip', ['netns', 'exec', netns, ...args], { encoding: 'utf8', timeout: WAIT });
    // The established pair, as "local peer" lines: the same ports after restore mean the same
    // connection, not a new one.
    const established = () => inNs(['ss', '-Htn', 'state', 'established']).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(-2).join(' ')).sort();
    const b = await s.bundle('tcp', {
      // The server's stdin must never end (busybox nc shuts the connection on stdin's EOF);
      // httpd is a listener that must still answer after the restore.
      args: ['sh', '-c', 'mkdir -p /m/www && echo hello > /m/www/x && busybox httpd -f -p 8080 -h /m/www & sleep 100000 | busybox nc -l -p 5000 > /m/out & i=0; while true; do i=$((i+1)); echo $i; sleep 0.2; done | while ! busybox nc 127.0.0.1 5000; do sleep 0.5; done'],
      mutate: (c: Config) => {
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${netns}` } : n));
      },
    });
    const id = s.id('tcp');
    const run = new Piped(s, ['run', '-d', '--bundle', b.dir, id]);
    await run.ok();
    const pid = s.state(id).pid!;
    const out = path.join(b.host, 'out');
    const lastOut = () => Number((fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '').trim().split('\n').pop() || 0);
    expect(await waitFor(() => lastOut() > 3, WAIT)).toBe(true);
    const pair = established();
    expect(pair).toHaveLength(2);
    const images = path.join(s.tmp, `img-${id}`);
    const refused = s.rt(['checkpoint', '--image-path', images, id], { timeoutMs: WAIT });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/tcp-established|criu failed/);
    expect(s.state(id)).toMatchObject({ status: 'running', pid });
    s.ok(['checkpoint', '--tcp-established', '--image-path', images, id], { timeoutMs: WAIT });
    expect(await waitFor(() => !pidAlive(pid), WAIT)).toBe(true);
    const last = lastOut();
    run.close();
    expect(spawnSync('ip', ['netns', 'del', netns]).status).toBe(0);
    mkNetns();
    const rs = new Piped(s, ['restore', '-d', '--tcp-established', '--image-path', images, '--bundle', b.dir, id]);
    await rs.ok();
    checkRestored(s, id, b.cgroupsPath, pid);
    // The numbers keep arriving through the restored connection, continuing the sequence.
    expect(await waitFor(() => lastOut() > last + 2, WAIT)).toBe(true);
    const seq = fs.readFileSync(out, 'utf8').trim().split('\n').map(Number);
    expect(seq.every((v, i) => v === i + 1)).toBe(true);
    expect(established()).toEqual(pair);
    // The listener answers in the new namespace.
    expect(inNs(['busybox', 'wget', '-qO-', 'http://127.0.0.1:8080/x']).stdout).toBe('hello\n');
    s.ok(['delete', '-f', id]);
    rs.close();
  });

  it('a container with a terminal: checkpointed with its pty external; restore hands a new master to --console-socket, the session keeps a controlling terminal, input reaches it', async () => {
    // The counter runs beside a reader of the terminal: what arrives through the restored
    // pty's master is written to /m/got.
    const args = ['sh', '-c', '(i=0; while true; do i=$((i+1)); echo $i; echo $i > /m/count; sleep 0.2; done) & while read l; do echo "got:$l" > /m/got; done'];
    const b = await s.bundle('tty', { args, mutate: (c: Config) => void (c.process.terminal = true) });
    const id = s.id('tty');
    const r1 = new TtyReceiver(path.join(s.tmp, `${id}-1.sock`));
    await r1.listening();
    s.ok(['run', '-d', '--console-socket', r1.sock, '--bundle', b.dir, id]);
    const pid = s.state(id).pid!;
    expect(await waitFor(() => Math.max(0, ...r1.numbers()) > 3, WAIT)).toBe(true);
    expect(ttyNr(pid)).toBeGreaterThan(0);
    const images = path.join(s.tmp, `img-${id}`);
    s.ok(['checkpoint', '--image-path', images, id], { timeoutMs: WAIT });
    expect(await waitFor(() => !pidAlive(pid), WAIT)).toBe(true);
    // The first receiver's pty has no slave left: it reads EIO and ends.
    await Promise.race([r1.ended, new Promise((r) => setTimeout(r, WAIT))]);
    const last = Math.max(...r1.numbers());
    const r2 = new TtyReceiver(path.join(s.tmp, `${id}-2.sock`), 'hello\n');
    await r2.listening();
    s.ok(['restore', '-d', '--console-socket', r2.sock, '--image-path', images, '--bundle', b.dir, id], { timeoutMs: WAIT });
    const newPid = checkRestored(s, id, b.cgroupsPath, pid);
    expect(await waitFor(() => Math.max(0, ...r2.numbers()) > last + 2, WAIT)).toBe(true);
    expectContinues(r1.numbers(), r2.numbers());
    // Still the session leader of a terminal, and its stdio is that pty.
    expect(ttyNr(newPid)).toBeGreaterThan(0);
    expect(fs.readlinkSync(`/proc/${newPid}/fd/1`)).toMatch(/^\/dev\/pts\/\d+$/);
    const got = path.join(b.host, 'got');
    expect(await waitFor(() => fs.existsSync(got) && fs.readFileSync(got, 'utf8') === 'got:hello\n', WAIT)).toBe(true);
    s.ok(['delete', '-f', id]);
    await Promise.race([r2.ended, new Promise((r) => setTimeout(r, WAIT))]);
    // The same images again, in the foreground without --console-socket: the runtime holds
    // the master itself and copies it to its stdout (as `run` does).
    // runc 1.1.5 does not: its foreground restore printed nothing within 60 s here.
    if (name === 'runc') return;
    const id2 = s.id('tty-fg');
    const fg = new Piped(s, ['restore', '--image-path', images, '--bundle', b.dir, id2]);
    expect(await waitFor(() => fg.numbers().some((n) => n > last + 2), WAIT)).toBe(true);
    s.ok(['kill', id2, 'KILL']);
    expect(await Promise.race([fg.exited, new Promise((r) => setTimeout(() => r('still running'), WAIT))])).toBe(137);
    fg.close();
  });

  // As runc's own test does it: the dump stays behind as a page server for the pages it did
  // not write, says so on --status-fd, and `criu lazy-pages` on the restore side fetches them
  // as the restored process faults them in. The old container lives until the last page has
  // gone, so the restore takes a new id and a new cgroup.
  it.skipIf(!!lazySkip)('--lazy-pages with --page-server and --status-fd: restore --lazy-pages under a new id counts on, the dump ends once the pages are fetched', async () => {
    const b = await s.bundle('lazy', { args: COUNTER });
    const id = s.id('lazy');
    const run = new Piped(s, ['run', '-d', '--bundle', b.dir, id]);
    await run.ok();
    const pid = s.state(id).pid!;
    await counting(run, 3);
    const images = path.join(s.tmp, `img-${id}`);
    fs.mkdirSync(images);
    const port = 20000 + ((process.pid * 7 + name.length * 131) % 20000);
    // The status fd is a pipe's write end, as callers give it (runc 1.1.5 refuses an fd not
    // opened write-only, such as a socket).
    const fifo = path.join(s.tmp, `${id}.status`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const statusR = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    cleanups.push(() => fs.closeSync(statusR));
    const statusW = fs.openSync(fifo, fs.constants.O_WRONLY);
    const ck = spawn(s.bin, ['--root', s.root, 'checkpoint', '--lazy-pages', '--page-server', `127.0.0.1:${port}`, '--status-fd', '3', '--image-path', images, id], {
      stdio: ['ignore', 'ignore', 'pipe', statusW],
    });
    fs.closeSync(statusW);
    procs.push(ck);
    let ckErr = '';
    ck.stderr!.on('data', (d: Buffer) => (ckErr += d.toString()));
    let exited: number | null | undefined;
    const ckExit = new Promise<number | null>((resolve) => ck.once('exit', (code) => resolve((exited = code))));
    // criu writes one \0 to the status fd once its page server listens.
    let ready: Buffer | undefined;
    await waitFor(() => {
      const b = Buffer.alloc(16);
      try {
        const n = fs.readSync(statusR, b);
        if (n > 0) ready = b.subarray(0, n);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      return !!ready || exited !== undefined;
    }, WAIT);
    if (!ready) throw new Error(`no status byte; checkpoint ${exited === undefined ? 'still running' : `exited ${exited}`}: ${ckErr.trim()}`);
    expect([...ready]).toEqual([0]);
    expect(fs.existsSync(path.join(images, 'inventory.img'))).toBe(true);
    const last = Math.max(...run.numbers());
    const lazy = spawn('criu', ['lazy-pages', '--page-server', '--address', '127.0.0.1', '--port', String(port), '-D', images, '-o', 'lazy-pages.log'], { stdio: 'ignore' });
    procs.push(lazy);
    const lazyExit = new Promise<number | null>((resolve) => lazy.once('exit', (code) => resolve(code)));
    const cgroupsPath = `${b.cgroupsPath}-lazy`;
    s.editConfig(b, (c) => void (c.linux.cgroupsPath = cgroupsPath));
    const id2 = s.id('lazy-new');
    const rs = new Piped(s, ['restore', '-d', '--lazy-pages', '--image-path', images, '--bundle', b.dir, id2]);
    await rs.ok();
    // runc 1.1.5 does not put the restored process into the new cgroupsPath (seen: its
    // cgroup.procs empty); tsrun does.
    checkRestored(s, id2, cgroupsPath, pid, name !== 'runc');
    await counting(rs, last + 2);
    expectContinues(run.numbers().filter((n) => n <= last), rs.numbers());
    const timeout = new Promise((r) => setTimeout(() => r('still running'), WAIT));
    expect(await Promise.race([ckExit, timeout]), ckErr).toBe(0);
    expect(await Promise.race([lazyExit, timeout])).toBe(0);
    // The checkpointed container is gone with the last page.
    expect(await waitFor(() => !pidAlive(pid), WAIT)).toBe(true);
    expect(s.rt(['state', id]).code).toBe(1);
    s.ok(['delete', '-f', id2]);
    run.close();
    rs.close();
  });

  it('restore in the foreground runs prestart/createRuntime hooks with the restored pid, waits for the init, returns its status and removes the container', async () => {
    const b = await s.bundle('fg', {
      args: COUNTER,
      mutate: (c: Config) => {
        const hook = (kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${path.join(s.tmp, `fg-${kind}.json`)}`] });
        c.hooks = { prestart: [hook('prestart')], createRuntime: [hook('createRuntime')] };
      },
    });
    const id = s.id('fg');
    const run = new Piped(s, ['run', '-d', '--bundle', b.dir, id]);
    await run.ok();
    const pid = s.state(id).pid!;
    await counting(run, 3);
    const images = path.join(s.tmp, `img-${id}`);
    s.ok(['checkpoint', '--image-path', images, id], { timeoutMs: WAIT });
    await run.drained();
    run.close();
    for (const k of ['prestart', 'createRuntime']) fs.rmSync(path.join(s.tmp, `fg-${k}.json`), { force: true });
    const rs = new Piped(s, ['restore', '--image-path', images, '--bundle', b.dir, id]);
    await counting(rs, 0);
    const newPid = checkRestored(s, id, b.cgroupsPath, pid);
    for (const k of ['prestart', 'createRuntime']) {
      const st = JSON.parse(fs.readFileSync(path.join(s.tmp, `fg-${k}.json`), 'utf8'));
      expect(st).toMatchObject({ id, pid: newPid });
    }
    expectContinues(run.numbers(), rs.numbers());
    s.ok(['kill', id, 'KILL']);
    expect(await Promise.race([rs.exited, new Promise((r) => setTimeout(() => r('still running'), WAIT))])).toBe(137);
    expect(s.rt(['state', id]).code).toBe(1);
    rs.close();
  });

  // --auto-dedup: the dump punches holes in the parent's page images for the pages it wrote
  // anew (the counter's stack and heap change between the two), so they take fewer blocks.
  it.each([false, true])('pre-dump then dump with --parent-path (--auto-dedup %s): the dump builds on the pre-dump, the restore counts on', async (dedup) => {
    const b = await s.bundle('pre', { args: COUNTER });
    const id = s.id(dedup ? 'dedup' : 'pre');
    const run = new Piped(s, ['run', '-d', '--bundle', b.dir, id]);
    await run.ok();
    const pid = s.state(id).pid!;
    await counting(run, 3);
    const pre = path.join(s.tmp, `pre-${id}`);
    const final = path.join(s.tmp, `final-${id}`);
    s.ok(['checkpoint', '--pre-dump', '--image-path', pre, id], { timeoutMs: WAIT });
    expect(s.state(id)).toMatchObject({ status: 'running', pid });
    expect(fs.readdirSync(pre).some((f) => f.startsWith('pages-'))).toBe(true);
    await counting(run, run.numbers().pop()! + 1);
    const blocks = () => fs.readdirSync(pre).filter((f) => f.startsWith('pages-')).reduce((n, f) => n + fs.statSync(path.join(pre, f)).blocks, 0);
    const before = blocks();
    s.ok(['checkpoint', '--parent-path', '../' + path.basename(pre), ...(dedup ? ['--auto-dedup'] : []), '--image-path', final, id], { timeoutMs: WAIT });
    if (dedup) expect(blocks()).toBeLessThan(before);
    else expect(blocks()).toBe(before);
    // criu links the dump to its parent images.
    expect(fs.readlinkSync(path.join(final, 'parent'))).toBe('../' + path.basename(pre));
    const last = await run.drained();
    run.close();
    const rs = new Piped(s, ['restore', '-d', '--image-path', final, '--bundle', b.dir, id]);
    await rs.ok();
    checkRestored(s, id, b.cgroupsPath, pid);
    await counting(rs, last + 2);
    expectContinues(run.numbers(), rs.numbers());
    s.ok(['delete', '-f', id]);
    rs.close();
  });
});

// podman drives the runtime's checkpoint/restore itself (conmon's pipes and /dev/null as the
// container's stdio, its own image and work paths): the counter's log continues after it.
const podmanSkip = skip ?? (spawnSync('podman', ['--version']).status !== 0 ? 'podman is not installed' : undefined);
describe.skipIf(!!podmanSkip)('podman container checkpoint/restore', () => {
  const IMAGE = `localhost/tsrun-criu-busybox:${process.pid}`;
  const names: string[] = [];
  const podman = (args: string[]) => {
    const r = spawnSync('podman', args, { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  afterAll(() => {
    for (const n of names) podman(['rm', '-f', '-t', '0', n]);
    podman(['rmi', '-f', IMAGE]);
  });

  // With -t conmon takes the terminal through --console-socket, at run and at restore.
  // podman's cgroup manager on a systemd host is systemd: the runtime gets --systemd-cgroup
  // and the restored container must be back in its libpod-<id>.scope.
  const cases = runtimes.flatMap(([name, bin]) => [[name, false, bin], [name, true, bin]] as Array<[string, boolean, string]>);
  it.each(cases)('--runtime %s, -t %s: the counter checkpointed and restored counts on, in its cgroup', async (name, tty, bin) => {
    const s = suites.get(name)!;
    if (!names.length) {
      const { makeRootfs } = await import(path.join(__dirname, '../../scripts/mkbundle.mjs'));
      const dir = path.join(s.tmp, 'podman-rootfs');
      makeRootfs(dir);
      const tar = path.join(s.tmp, 'podman-rootfs.tar');
      expect(spawnSync('tar', ['-C', dir, '-cf', tar, '.']).status).toBe(0);
      expect(podman(['import', tar, IMAGE]).code).toBe(0);
    }
    const c = `tsrun-criu-${name}-${tty ? 'tty-' : ''}${process.pid}`;
    names.push(c);
    const run = podman(['--runtime', bin, 'run', '-d', ...(tty ? ['-t'] : []), '--name', c, IMAGE, ...COUNTER.slice(0, 2), COUNTER[2].replace('echo $i > /m/count; ', '')]);
    expect(run.code, run.stderr).toBe(0);
    const logged = () => podman(['logs', c]).stdout.replace(/\r/g, '').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    expect(await waitFor(() => logged().length >= 3, WAIT)).toBe(true);
    const ck = podman(['--runtime', bin, 'container', 'checkpoint', c]);
    expect(ck.code, ck.stderr).toBe(0);
    expect(podman(['inspect', '-f', '{{.State.Status}}', c]).stdout.trim()).toBe('exited');
    const before = Math.max(...logged());
    const rs = podman(['--runtime', bin, 'container', 'restore', c]);
    expect(rs.code, rs.stderr).toBe(0);
    expect(podman(['inspect', '-f', '{{.State.Status}}', c]).stdout.trim()).toBe('running');
    expect(await waitFor(() => Math.max(...logged()) > before + 2, WAIT)).toBe(true);
    const all = [...new Set(logged())].sort((a, b) => a - b);
    expect(all).toEqual(all.map((_, i) => i + 1));
    const pid = Number(podman(['inspect', '-f', '{{.State.Pid}}', c]).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    if (tty) expect(fs.readlinkSync(`/proc/${pid}/fd/1`)).toMatch(/^\/dev\/pts\/\d+$/);
    if (podman(['info', '--format', '{{.Host.CgroupManager}}']).stdout.trim() === 'systemd') {
      const full = podman(['inspect', '-f', '{{.Id}}', c]).stdout.trim();
      expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`/libpod-${full}.scope`);
    }
  });
});

// containerd's runc shim runs the runtime's checkpoint (`ctr task checkpoint --image-path`):
// with tsrun as its runc binary the images are written and the task keeps counting, or with
// --exit it stops. A private containerd, as containerd.test.ts runs one.
const CTR = '/usr/bin/ctr';
const CONTAINERD = '/usr/bin/containerd';
const ctrSkip = skip ?? (!fs.existsSync(CTR) || !fs.existsSync(CONTAINERD) ? 'containerd is not installed' : undefined);
describe.skipIf(!!ctrSkip)('ctr task checkpoint', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-criu-ctr-'));
  const SOCK = path.join(tmp, 'containerd.sock');
  const PIDFILE = path.join(tmp, 'containerd.pid');
  const NS = `tsrun-criu-${process.pid}`;
  const IMAGE = `localhost/tsrun-criu-busybox:${process.pid}`;
  const ctr = (args: string[], timeout = 600_000) => run(CTR, ['--address', SOCK, '--namespace', NS, ...args], { timeout });

  beforeAll(async () => {
    await startContainerd(CONTAINERD, tmp, SOCK, PIDFILE, () => ctr(['version']).code === 0, 120_000);
    const imp = ctr(['image', 'import', ociImageTar(await busyboxRootfsTar(tmp), tmp, IMAGE)]);
    expect(imp.code, imp.stderr).toBe(0);
  }, 600_000);

  afterAll(async () => {
    for (const id of ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['task', 'delete', '-f', id]);
    for (const id of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['container', 'delete', id]);
    await teardown(tmp, PIDFILE, `/${NS}`);
  }, 600_000);

  it.each(runtimes)('--runc-binary %s: checkpoint leaves the task counting; --exit stops it', async (name, bin) => {
    const id = `ck-${name}`;
    const logf = path.join(tmp, `${id}.log`);
    const R = ['--runc-binary', bin, '--runc-root', path.join(tmp, `runc-root-${name}`)];
    const r = ctr(['run', '-d', ...R, '--log-uri', `file://${logf}`, IMAGE, id, ...COUNTER.slice(0, 2), COUNTER[2].replace('echo $i > /m/count; ', '')]);
    expect(r.code, r.stderr).toBe(0);
    const logged = () => (fs.existsSync(logf) ? fs.readFileSync(logf, 'utf8') : '').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    const status = () => ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(`${id} `))?.trim().split(/\s+/)[2];
    expect(await waitUntil(() => logged().length >= 3, WAIT, 500)).toBe(true);
    const img = path.join(tmp, `${id}-img`);
    const ck = ctr(['task', 'checkpoint', '--image-path', img, id]);
    expect(ck.code, ck.stderr).toBe(0);
    expect(fs.readdirSync(img)).toEqual(expect.arrayContaining(['inventory.img', 'descriptors.json']));
    expect(status()).toBe('RUNNING');
    const n = Math.max(...logged());
    expect(await waitUntil(() => Math.max(...logged()) > n + 2, WAIT, 500)).toBe(true);
    const ck2 = ctr(['task', 'checkpoint', '--exit', '--image-path', `${img}2`, id]);
    expect(ck2.code, ck2.stderr).toBe(0);
    expect(fs.readdirSync(`${img}2`)).toContain('inventory.img');
    expect(await waitUntil(() => status() === 'STOPPED' || status() === undefined, WAIT, 500)).toBe(true);
    ctr(['task', 'delete', '-f', id]);
    ctr(['container', 'delete', id]);
  });

  // containerd's own restore: the checkpoint becomes an image in its content store
  // (`ctr container checkpoint --task`), the container is recreated from it with its runtime
  // options (the runtime binary included) and the task restored from the CRIU images
  // (`ctr container restore --live`): the shim runs `<runtime> restore --detach ...
  // -no-subreaper` (go-runc's one-dash flag, which Go's flag package takes).
  it.each(runtimes)('--runc-binary %s: ctr container checkpoint --task, then ctr container restore --live counts on', async (name, bin) => {
    const id = `rs-${name}`;
    const R = ['--runc-binary', bin, '--runc-root', path.join(tmp, `runc-root-${name}`)];
    // The count goes to a file in the container's writable layer (its stdout would be ctr's
    // fifo, gone once ctr returns); exec reads it.
    const r = ctr(['run', '-d', ...R, '--null-io', IMAGE, id, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done']);
    expect(r.code, r.stderr).toBe(0);
    let n = 0;
    const count = () => {
      const e = ctr(['task', 'exec', '--exec-id', `cat${n++}`, id, 'cat', '/tmp/count']);
      return e.code === 0 ? Number(e.stdout.trim()) : 0;
    };
    expect(await waitUntil(() => count() > 3, WAIT, 500)).toBe(true);
    const ref = `localhost/tsrun-criu-ck-${name}:${process.pid}`;
    const before = count();
    // --rw: the writable layer goes with it (the counter may hold /tmp/count open at the dump).
    const ck = ctr(['container', 'checkpoint', '--task', '--rw', id, ref]);
    expect(ck.code, ck.stderr).toBe(0);
    ctr(['task', 'delete', '-f', id]);
    expect(ctr(['container', 'delete', id]).code).toBe(0);
    const rs = ctr(['container', 'restore', '--live', '--rw', id, ref]);
    expect(rs.code, rs.stderr).toBe(0);
    const pid = Number(ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(`${id} `))?.trim().split(/\s+/)[1]);
    expect(pid).toBeGreaterThan(0);
    expect(pidAlive(pid)).toBe(true);
    // The restored counter runs on from where it was checkpointed (a fresh start would begin at 1).
    const first = await waitFor(() => count(), WAIT);
    expect(first).toBeGreaterThanOrEqual(before);
    expect(await waitUntil(() => count() > first + 2, WAIT, 500)).toBe(true);
    // Under the runtime asked for: its state root knows the task.
    const st = spawnSync(bin, ['--root', path.join(tmp, `runc-root-${name}`, NS), 'state', id], { encoding: 'utf8' });
    expect(JSON.parse(st.stdout)).toMatchObject({ id, pid, status: 'running' });
    // Bounded: after a failed restore containerd's task delete hangs (with runc too).
    ctr(['task', 'delete', '-f', id], 60_000);
    ctr(['container', 'delete', id], 60_000);
    ctr(['image', 'rm', ref], 60_000);
  });
});
