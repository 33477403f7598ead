// Stand-ins for the shim and the cgroups, to drive the parent side of create/exec (the sync
// protocol and the clean-up paths) without root. Stage 1 and the init are real `sleep`
// processes, so "the init was killed" is observed, not assumed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { CgroupManager, CgroupOptions, CgroupRef } from '../../src/linux/cgroups/types';
import type { LinuxResources } from '../../src/oci/types';
import type { Native, SyncMessage } from '../../src/native/shim';
import { SYNC } from '../../src/native/shim';

type Step = SyncMessage | null | ((f: FakeNative) => SyncMessage | null);

export const msg = {
  initPid: (f: FakeNative): SyncMessage => ({ type: SYNC.INIT_PID, value: f.child('init'), text: '' }),
  ready: { type: SYNC.READY, value: 0, text: '' } as SyncMessage,
  error: (text: string): SyncMessage => ({ type: SYNC.ERROR, value: 0, text }),
  /** The peer closed the socket: the child died. */
  eof: { type: 0, value: 0, text: '' } as SyncMessage,
};

export class FakeNative implements Native {
  readonly sent: { type: number; payload?: string }[] = [];
  readonly waited: number[] = [];
  readonly closed: number[] = [];
  readonly pids: Record<string, number> = {};
  plan?: Buffer;
  private procs = new Map<number, { proc: ChildProcess; exit: Promise<NodeJS.Signals | number | null> }>();
  static readonly SYNC_FD = 1000;

  /** recv() answers with these, in order (null: a timeout). */
  constructor(private script: Step[]) {}

  /** A real process standing in for stage 1 or the init. */
  child(role: string): number {
    const proc = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exit = new Promise<NodeJS.Signals | number | null>((resolve) => proc.on('exit', (code, sig) => resolve(sig ?? code)));
    this.procs.set(proc.pid!, { proc, exit });
    this.pids[role] = proc.pid!;
    return proc.pid!;
  }

  /** How a stand-in ended: 'SIGKILL' when the code under test killed it; 'alive' after 2 s. */
  async fate(role: string): Promise<NodeJS.Signals | number | null | 'alive'> {
    const p = this.procs.get(this.pids[role]);
    if (!p) throw new Error(`no ${role} was started`);
    return Promise.race([p.exit, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 2000))]);
  }

  /** Kill what is left (test clean-up). */
  killAll(): void {
    for (const { proc } of this.procs.values()) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }

  spawn(plan: Buffer): { pid: number; syncFd: number; joined: boolean } {
    this.plan = plan;
    return { pid: this.child('stage1'), syncFd: FakeNative.SYNC_FD, joined: false };
  }
  readonly pidfds: { path: string; pid: number }[] = [];
  rawOutput(_fd: number): void {}
  sendPidfd(path: string, pid: number): void {
    this.pidfds.push({ path, pid });
  }
  bindMount(): void {
    throw new Error('fake native: bindMount');
  }
  sendFd(): void {
    throw new Error('fake native: sendFd');
  }
  makeMountpoints(): void {
    throw new Error('fake native: makeMountpoints');
  }
  openPty(): { master: number; slave: number; name: string } {
    throw new Error('fake native: openPty');
  }
  unmountDetach(): void {}
  send(_fd: number, type: number, payload?: Buffer): void {
    this.sent.push(payload ? { type, payload: payload.toString() } : { type });
  }
  recv(): SyncMessage | null {
    if (!this.script.length) throw new Error('fake native: script exhausted');
    const step = this.script.shift()!;
    return typeof step === 'function' ? step(this) : step;
  }
  wait(pid: number): number {
    this.waited.push(pid);
    return 0;
  }
  waitAsync(pid: number): Promise<number> {
    const p = this.procs.get(pid);
    return p ? p.exit.then((e) => (typeof e === 'number' ? e << 8 : 9)) : Promise.resolve(0);
  }
  close(fd: number): void {
    this.closed.push(fd);
  }
  mkfifo(path: string, mode: number): void {
    execFileSync('mkfifo', ['-m', mode.toString(8), path]);
  }
  errnoName(errno: number): string {
    return `E${errno}`;
  }
  attachDeviceProgram(): void {
    throw new Error('fake native: attachDeviceProgram not scripted');
  }
  consoleListen(): number {
    throw new Error('fake native: consoleListen not scripted');
  }
  consoleReceive(): number {
    throw new Error('fake native: consoleReceive not scripted');
  }
  setWinsize(): void {}
  subreaper = false;
  setSubreaper(): void {
    this.subreaper = true;
  }
  reapOthers(): number {
    return 0;
  }
  eventfd(): number {
    throw new Error('fake native: eventfd not scripted');
  }
}

/** A cgroup manager that records what was done to it. */
export class FakeCgroup implements CgroupManager {
  readonly ref: CgroupRef;
  readonly calls: string[] = [];
  resources?: LinuxResources;
  readonly deviceRules = null;
  constructor(opts: CgroupOptions) {
    this.ref = { mode: 'v2', path: `/fake/${opts.id}`, dirs: { unified: `/nonexistent/fake/${opts.id}` } };
  }
  apply(pid: number): void {
    this.calls.push(`apply ${pid}`);
  }
  birthDir(): string | null {
    return null;
  }
  set(r: LinuxResources): void {
    this.resources = r;
    this.calls.push('set');
  }
  freeze(): void {
    this.calls.push('freeze');
  }
  thaw(): void {
    this.calls.push('thaw');
  }
  isFrozen(): boolean {
    return false;
  }
  frozenAt(): string | null {
    return null;
  }
  pids(): number[] {
    return [];
  }
  destroy(): void {
    this.calls.push('destroy');
  }
  stats(): never {
    throw new Error('fake cgroup: stats not scripted');
  }
  oomWatch(): null {
    return null;
  }
}
